import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mine } from '../../src/mine/mine.js';
import { TextStore } from '../../src/mine/text-store.js';
import { BI_ENCODER, tempDir, writeJsonl } from './helpers.js';

const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('TextStore (corpus texts on disk)', () => {
  it('gives each distinct text one id, in first-seen order, and reads every text back exactly', () => {
    const file = path.join(dir, 'store.bin');
    const s = new TextStore(file);
    // more than the 1 MiB write buffer, with multi-byte characters and repeats
    const texts = Array.from({ length: 30_000 }, (_, i) => `文档 ${i % 20_000} — Größe ${'x'.repeat(i % 50)}`);
    const ids = texts.map((t) => s.add(t));
    // text i >= 20000 repeats text i - 20000 (20000 is a multiple of 50)
    expect(s.size).toBe(20_000);
    expect(ids.map((r) => r.added)).toEqual(texts.map((_, i) => i < 20_000));
    const seen = new Map<string, number>();
    texts.forEach((t, i) => {
      if (!seen.has(t)) seen.set(t, seen.size);
      expect(ids[i].id).toBe(seen.get(t));
    });
    s.seal();
    for (const [t, id] of seen) expect(s.get(id)).toBe(t);
    expect(s.slice(5, 8)).toEqual([...seen.keys()].slice(5, 8));
    expect(() => s.add('late')).toThrow('add after seal');
    s.close();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('mine leaves no scratch file behind, whether it succeeds or fails', async () => {
    const data = writeJsonl(path.join(dir, 'pairs.jsonl'), [{ query: 'q1', positive: 'a one' }, { query: 'q2', positive: 'b two' }, { query: 'q3', positive: 'c three' }]);
    const base = {
      model: BI_ENCODER, data, firstStage: 'dense' as const, rangeMin: 0, numNegatives: 1, samplingStrategy: 'top' as const, seed: 0,
      queryColumn: 'query', positiveColumn: 'positive', outputFormat: 'grouped' as const, batchSize: 8,
    };
    const out = path.join(dir, 'run', 'mined.jsonl');
    const s = await mine({ ...base, output: out });
    expect(s.rows_written).toBe(3);
    await expect(mine({ ...base, output: path.join(dir, 'run', 'bad.jsonl'), corpus: [path.join(dir, 'missing.jsonl')] })).rejects.toThrow('does not exist');
    expect(fs.readdirSync(path.join(dir, 'run')).sort()).toEqual(['mined.jsonl', 'mined.jsonl.mine.json']);
  });
});
