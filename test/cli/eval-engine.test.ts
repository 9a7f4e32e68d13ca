// `densetrain eval` runs on onnxruntime whatever tfjs backend is named, with the metrics of the tfjs
// encoder (a second implementation); its --engine and --backend are deprecated aliases: auto and
// onnx say so in a line on stderr, tfjs is refused with the way out, --backend says it is unused.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readBeir } from '../../src/data/beir.js';
import { evaluateRetrieval } from '../../src/eval/evaluate.js';
import { initBackend } from '../../src/tfjs/backend.js';
import { loadModel } from '../../src/tfjs/model.js';
import { removeBeirDirs, writeBeir } from '../eval/beir-fixture.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
afterAll(() => removeBeirDirs());

const beir = writeBeir({
  corpus: [{ _id: 'd1', title: 'cats', text: 'the cat purrs' }, { _id: 'd2', text: 'dogs bark loudly' }, { _id: 'd3', text: 'fish swim' }],
  queries: [{ _id: 'q1', text: 'a purring cat' }, { _id: 'q2', text: 'barking' }],
  qrels: { test: [['q1', 'd1', 1], ['q2', 'd2', 1]] },
});

/** The first line eval prints (what computes), its notices (stderr) and its metrics. */
async function evalRun(extra: string[]): Promise<{ first: string; notices: string[]; metrics: Record<string, number> }> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    expect(await main(['eval', '--model', `${FIX}tiny-bert`, '--data', beir, ...extra])).toBe(0);
    return { first: String(spy.mock.calls[0][0]), notices: err.mock.calls.map((c) => String(c[0])), metrics: JSON.parse(String(spy.mock.calls.at(-1)![0])) };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}

describe('eval on onnxruntime; --engine and --backend deprecated', () => {
  it('runs a BERT folder on onnxruntime with the tfjs encoder\'s metrics; --engine onnx and --backend give a notice each', async () => {
    const plain = await evalRun([]);
    expect(plain.first).toBe('densetrain: onnxruntime-node on CPU');
    expect(plain.notices).toEqual([]);
    await initBackend('wasm');
    const m = await loadModel(`${FIX}tiny-bert`);
    const want = await evaluateRetrieval(readBeir(beir, 'test'), (texts, role) => m.encodeAs(role, texts));
    m.dispose();
    for (const [k, v] of Object.entries(want)) expect(plain.metrics[k], k).toBeCloseTo(v, 6);
    const aliased = await evalRun(['--engine', 'onnx', '--backend', 'wasm']);
    expect(aliased.first).toBe('densetrain: onnxruntime-node on CPU');
    expect(aliased.notices).toEqual([
      'densetrain: --engine is deprecated for eval (it always runs on onnxruntime); drop it',
      'densetrain: --backend sets the tfjs training backend; eval runs on onnxruntime and does not use it',
    ]);
    expect(aliased.metrics).toEqual(plain.metrics);
  });

  it('--engine tfjs is refused in one line with the way out', async () => {
    await expect(evalRun(['--engine', 'tfjs'])).rejects.toThrow('eval --engine tfjs: eval runs on onnxruntime only (tfjs is a training backend: train --engine tfjs); drop --engine');
  });
});
