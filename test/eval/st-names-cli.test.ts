// `densetrain eval --st-names` through the CLI entry: the same numbers as without the flag, under
// sentence-transformers' names, on stdout and in --output.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { METRIC_KEYS } from '../../src/eval/metrics.js';
import { removeBeirDirs, writeBeir } from './beir-fixture.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-stnames-'));
afterAll(() => {
  removeBeirDirs();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const beir = writeBeir({
  corpus: [{ _id: 'd1', title: 'cats', text: 'the cat purrs' }, { _id: 'd2', text: 'dogs bark loudly' }, { _id: 'd3', text: 'fish swim' }],
  queries: [{ _id: 'q1', text: 'a purring cat' }, { _id: 'q2', text: 'barking' }],
  qrels: { test: [['q1', 'd1', 1], ['q2', 'd2', 1]] },
});

async function evalJson(extra: string[]): Promise<Record<string, number>> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    expect(await main(['eval', '--model', `${FIX}tiny-bert`, '--data', beir, '--backend', 'wasm', ...extra])).toBe(0);
    return JSON.parse(String(spy.mock.calls.at(-1)![0]));
  } finally {
    spy.mockRestore();
  }
}

describe('eval --st-names', () => {
  it('prints and writes cosine_-prefixed keys with the values of the plain run, precision@k included', async () => {
    const plain = await evalJson([]);
    expect(Object.keys(plain)).toEqual([...METRIC_KEYS]);
    const output = path.join(tmp, 'metrics.json');
    const st = await evalJson(['--st-names', '--output', output]);
    expect(Object.keys(st)).toEqual(METRIC_KEYS.map((k) => `cosine_${k}`));
    for (const k of METRIC_KEYS) expect(st[`cosine_${k}`], k).toBe(plain[k]);
    expect(JSON.parse(fs.readFileSync(output, 'utf8'))).toEqual(st);
    expect(st['cosine_precision@1']).toBe(st['cosine_accuracy@1']); // one relevant document per query
  });
});
