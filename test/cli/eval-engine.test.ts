// `densetrain eval` picks onnx by default (auto), whatever tfjs backend is named; `--engine tfjs`
// still runs tfjs, and both give the same metrics.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { removeBeirDirs, writeBeir } from '../eval/beir-fixture.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
afterAll(() => removeBeirDirs());

const beir = writeBeir({
  corpus: [{ _id: 'd1', title: 'cats', text: 'the cat purrs' }, { _id: 'd2', text: 'dogs bark loudly' }, { _id: 'd3', text: 'fish swim' }],
  queries: [{ _id: 'q1', text: 'a purring cat' }, { _id: 'q2', text: 'barking' }],
  qrels: { test: [['q1', 'd1', 1], ['q2', 'd2', 1]] },
});

/** The first line eval prints (what computes) and its metrics. */
async function evalRun(extra: string[]): Promise<{ first: string; metrics: Record<string, number> }> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    expect(await main(['eval', '--model', `${FIX}tiny-bert`, '--data', beir, '--backend', 'wasm', ...extra])).toBe(0);
    return { first: String(spy.mock.calls[0][0]), metrics: JSON.parse(String(spy.mock.calls.at(-1)![0])) };
  } finally {
    spy.mockRestore();
  }
}

describe('eval --engine', () => {
  it('auto (the default) runs a BERT folder on onnxruntime, --engine tfjs on tfjs, with the same metrics', async () => {
    const auto = await evalRun([]);
    expect(auto.first).toBe('densetrain: onnxruntime-node on CPU');
    const tfjs = await evalRun(['--engine', 'tfjs']);
    expect(tfjs.first).toMatch(/^densetrain: tfjs backend wasm on /);
    for (const [k, v] of Object.entries(tfjs.metrics)) expect(auto.metrics[k], k).toBeCloseTo(v, 6);
  });
});
