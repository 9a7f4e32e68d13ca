import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mine, type MineOptions } from '../../src/mine/mine.js';
import { sidecarPath } from '../../src/mine/output.js';
import { BI_ENCODER, readJsonl, stCases, tempDir, writeStInputs } from './helpers.js';

// Random sampling and a margin make every query's row depend on its own seeded draw and scores;
// chunks of 8 queries put the cuts inside the 40-query file.
let dir: string;
let base: MineOptions;
let straight: string;

beforeAll(async () => {
  dir = tempDir();
  const inputs = writeStInputs(dir, stCases());
  base = {
    model: BI_ENCODER, data: inputs.data, corpus: [inputs.corpus], output: '', firstStage: 'hybrid', rangeMin: 1, rangeMax: 25,
    relativeMargin: 0.02, numNegatives: 4, samplingStrategy: 'random', seed: 7, queryColumn: 'query', positiveColumn: 'answer',
    outputFormat: 'grouped', batchSize: 16, queryChunk: 8,
  };
  const output = path.join(dir, 'straight.jsonl');
  await mine({ ...base, output });
  straight = fs.readFileSync(output, 'utf8');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A copy of the straight run's sidecar next to `output`: the state a crashed run with these arguments left. */
function crashedRun(output: string, content: string): void {
  fs.writeFileSync(output, content);
  fs.copyFileSync(sidecarPath(path.join(dir, 'straight.jsonl')), sidecarPath(output));
}

describe('mine resumes after a crash', () => {
  it('the straight run is a real test case: 40 rows, random picks differ from the top ones', async () => {
    const rows = readJsonl(path.join(dir, 'straight.jsonl'));
    expect(rows).toHaveLength(40);
    const top = path.join(dir, 'top.jsonl');
    await mine({ ...base, output: top, samplingStrategy: 'top' });
    expect(fs.readFileSync(top, 'utf8')).not.toBe(straight);
  });

  for (const keep of [0, 1, 13, 16, 39]) {
    it(`cut after ${keep} rows plus a torn line: the resumed file equals the straight run`, async () => {
      const lines = straight.split('\n').filter(Boolean);
      const torn = keep < lines.length ? lines[keep].slice(0, Math.floor(lines[keep].length / 2)) : '';
      const output = path.join(dir, `cut-${keep}.jsonl`);
      crashedRun(output, lines.slice(0, keep).map((l) => l + '\n').join('') + torn);
      const s = await mine({ ...base, output });
      expect(fs.readFileSync(output, 'utf8')).toBe(straight);
      // resumed at the start of the chunk holding the last complete row
      expect(s.resumed_at_query).toBe(keep === 0 ? 0 : Math.floor((keep - 1) / 8) * 8);
    });
  }

  it('a run that dies midway and is started again writes the straight file', async () => {
    const output = path.join(dir, 'killed.jsonl');
    let chunks = 0;
    const dying = mine({ ...base, output }, { progress: (stage) => {
      if (stage === 'mine' && ++chunks === 3) throw new Error('killed');
    } });
    await expect(dying).rejects.toThrow('killed');
    expect(readJsonl(output).length).toBe(24);
    const s = await mine({ ...base, output });
    expect(s.resumed_at_query).toBe(16);
    expect(fs.readFileSync(output, 'utf8')).toBe(straight);
  });

  it('refuses to resume with other arguments, naming the flag, and leaves the file alone', async () => {
    const output = path.join(dir, 'other-args.jsonl');
    const content = straight.split('\n').slice(0, 5).join('\n') + '\n';
    crashedRun(output, content);
    await expect(mine({ ...base, output, numNegatives: 5 })).rejects.toThrow(/--num-negatives was 4 .* now 5/);
    await expect(mine({ ...base, output, relativeMargin: undefined })).rejects.toThrow(/--relative-margin was 0\.02/);
    expect(fs.readFileSync(output, 'utf8')).toBe(content);
  });

  it('never touches an existing file it did not write', async () => {
    const output = path.join(dir, 'users.jsonl');
    fs.writeFileSync(output, '{"mine": "precious"}\n');
    await expect(mine({ ...base, output })).rejects.toThrow(/exists and was not written by densetrain mine/);
    expect(fs.readFileSync(output, 'utf8')).toBe('{"mine": "precious"}\n');
  });
});
