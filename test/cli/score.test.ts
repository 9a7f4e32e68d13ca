// `densetrain score` through the CLI entry (main, in-process): JSONL records in, the same records
// plus `logit` and `score` out in input order, checked against the sentence-transformers fixtures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

const FIX = new URL('../fixtures/mining/', import.meta.url).pathname;
const EXP = JSON.parse(fs.readFileSync(`${FIX}cross-encoder.expected.json`, 'utf8'));
const TOL = 1e-5;
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-score-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]): Promise<string[]> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    expect(await main(args)).toBe(0);
    return spy.mock.calls.map((c) => String(c[0]));
  } finally {
    spy.mockRestore();
  }
}

const readRows = (file: string) => fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
const leftovers = () => fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'));

describe('densetrain score', () => {
  for (const name of ['tiny-ce-bert', 'tiny-ce-xlmr']) {
    it(`${name}: each record plus logit and score (CrossEncoder.predict) within ${TOL}, in order, other fields kept`, async () => {
      const e = EXP[name];
      const input = path.join(tmp, `${name}.jsonl`);
      fs.writeFileSync(input, e.pairs.map(([query, document]: string[], i: number) => JSON.stringify({ id: i, query, document })).join('\n') + '\n');
      const output = path.join(tmp, `${name}.scored.jsonl`);
      const log = await run(['score', '--model', `${FIX}${name}`, '--input', input, '--output', output, '--max-length', '64', '--batch-size', '5']);
      expect(log.at(-1)).toBe(`scored 14 pairs -> ${output}`);
      const rows = readRows(output);
      expect(rows.map((r) => r.id)).toEqual([...Array(14).keys()]);
      rows.forEach((r, i) => {
        expect([r.query, r.document]).toEqual(e.pairs[i]);
        expect(Math.abs(r.score - e.st_predict[i]), `pair ${i}`).toBeLessThan(TOL);
        expect(r.score).toBeCloseTo(1 / (1 + Math.exp(-r.logit)), 6);
      });
      if (name === 'tiny-ce-xlmr') rows.forEach((r, i) => expect(Math.abs(r.logit - e.logits[i])).toBeLessThan(TOL));
      expect(leftovers()).toEqual([]);
    });
  }

  it('--query-column/--document-column, .jsonl.gz input, and more records than one chunk stay in order', async () => {
    const e = EXP['tiny-ce-xlmr'];
    const n = 2100; // past the 2048-record chunk
    const recs = Array.from({ length: n }, (_, i) => ({ n: i, q: e.pairs[i % 14][0], passage: e.pairs[i % 14][1] }));
    const input = path.join(tmp, 'cols.jsonl.gz');
    fs.writeFileSync(input, zlib.gzipSync(recs.map((r) => JSON.stringify(r)).join('\n')));
    const output = path.join(tmp, 'cols.scored.jsonl');
    await run(['score', '--model', `${FIX}tiny-ce-xlmr`, '--input', input, '--output', output, '--query-column', 'q', '--document-column', 'passage', '--max-length', '64']);
    const rows = readRows(output);
    expect(rows).toHaveLength(n);
    rows.forEach((r, i) => {
      expect(r.n).toBe(i);
      expect(Math.abs(r.logit - e.logits[i % 14])).toBeLessThan(TOL);
    });
  });

  it('a bad record: names the file, line and field; the existing output is left as it was', async () => {
    const input = path.join(tmp, 'bad.jsonl');
    fs.writeFileSync(input, ['{"query": "a", "document": "b"}', '{"query": "a", "document": "b"}', '{"query": "a", "doc": "b"}'].join('\n') + '\n');
    const output = path.join(tmp, 'bad.scored.jsonl');
    fs.writeFileSync(output, 'precious\n');
    await expect(run(['score', '--model', `${FIX}tiny-ce-bert`, '--input', input, '--output', output])).rejects.toThrow(`${input}:3: field "document" is missing`);
    expect(fs.readFileSync(output, 'utf8')).toBe('precious\n');
    expect(leftovers()).toEqual([]);

    fs.writeFileSync(input, '{"query": "a", "document": 7}\n');
    await expect(run(['score', '--model', `${FIX}tiny-ce-bert`, '--input', input, '--output', output])).rejects.toThrow(`${input}:1: field "document" is not a string`);
    fs.writeFileSync(input, '{"query": "a", "document": "b"}\nnot json\n');
    await expect(run(['score', '--model', `${FIX}tiny-ce-bert`, '--input', input, '--output', output])).rejects.toThrow(`${input}:2: not JSON`);
    fs.writeFileSync(input, '{"query": "a", "document": "b", "score": 1}\n');
    await expect(run(['score', '--model', `${FIX}tiny-ce-bert`, '--input', input, '--output', output])).rejects.toThrow(`${input}:1: the record already has a "score" field, which densetrain score writes; rename or remove it`);
    await expect(run(['score', '--model', `${FIX}tiny-ce-bert`, '--input', input, '--output', input])).rejects.toThrow(`${input}: --output must differ from --input`);
    expect(leftovers()).toEqual([]);
  });

  it('a cross-encoder with two labels is refused before anything is written', async () => {
    const dir = path.join(tmp, 'two-labels');
    fs.cpSync(`${FIX}tiny-ce-bert`, dir, { recursive: true });
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, id2label: { 0: 'no', 1: 'yes' } }));
    const input = path.join(tmp, 'two.jsonl');
    fs.writeFileSync(input, '{"query": "a", "document": "b"}\n');
    const output = path.join(tmp, 'two.scored.jsonl');
    await expect(run(['score', '--model', dir, '--input', input, '--output', output])).rejects.toThrow(`${dir}/config.json: num_labels is 2 (id2label {"0":"no","1":"yes"})`);
    expect(fs.existsSync(output)).toBe(false);
  });
});
