// The wasm UnsortedSegmentSum kernel (src/tfjs/kernels/unsorted-segment-sum.ts) against tfjs's
// cpu backend, and the gradient of tf.gather (which uses it) on wasm against cpu.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';

/** Deterministic uniform [0, 1) values (mulberry32), the same on both backends. */
function uniforms(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Run `f` on a backend and return its output as plain numbers. */
async function on(backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<number[][]> {
  await initBackend(backend);
  expect(tf.getBackend()).toBe(backend);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => Array.from(t.dataSync()));
  tf.dispose(list);
  return values;
}

function expectClose(a: number[][], b: number[][], tol: number): void {
  expect(a.map((r) => r.length)).toEqual(b.map((r) => r.length));
  a.forEach((r, i) => r.forEach((v, j) => expect(Math.abs(v - b[i][j]), `output ${i}[${j}]`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i][j])))));
}

describe('UnsortedSegmentSum on wasm', () => {
  it('is registered for wasm and sums the documented example', async () => {
    const [got] = await on('wasm', () => tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([1, 0, 1], 'int32'), 2));
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
    expect(got).toEqual([3, 4, 6, 8]);
  });

  // Shapes [N, ...rest]; ids drawn from [-2, numSegments + 2): repeats and out-of-range ids (dropped).
  const cases: [number[], number][] = [[[7], 3], [[40, 5], 9], [[13, 3, 4], 6], [[1, 8], 4], [[64, 16], 1]];
  for (const [shape, numSegments] of cases) {
    it(`x [${shape}], ${numSegments} segments: equals the cpu backend`, async () => {
      const rand = uniforms(shape.reduce((a, b) => a * b, numSegments));
      const x = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * 4 - 2);
      const ids = Array.from({ length: shape[0] }, () => Math.floor(rand() * (numSegments + 4)) - 2);
      expect(ids.some((id) => id < 0 || id >= numSegments) || shape[0] < 4).toBe(true);
      const f = () => tf.unsortedSegmentSum(tf.tensor(x, shape), tf.tensor1d(ids, 'int32'), numSegments);
      const wasm = await on('wasm', f);
      expectClose(wasm, await on('cpu', f), 1e-6);
      expect(wasm[0]).toHaveLength(numSegments * shape.slice(1).reduce((a, b) => a * b, 1));
    });
  }

  it('int32 inputs give int32 sums equal to cpu', async () => {
    const f = () => tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]], undefined, 'int32'), tf.tensor1d([2, 0, 2, 5], 'int32'), 3);
    const wasm = await on('wasm', f);
    expect(wasm).toEqual([[3, 4, 0, 0, 6, 8]]);
    expect(wasm).toEqual(await on('cpu', f));
  });
});

describe('gradient of tf.gather on wasm equals cpu', () => {
  const rand = uniforms(42);
  const table = Array.from({ length: 11 * 6 }, () => rand() - 0.5);
  const weights = Array.from({ length: 9 * 6 }, () => rand() - 0.5);
  const ids = [3, 0, 3, 10, 7, 3, 0, 1, 9]; // repeated rows accumulate

  it('1-D indices (embedding lookup), against cpu and the hand-computed scatter-add', async () => {
    const f = () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(ids, 'int32')), tf.tensor2d(weights, [9, 6]))))(tf.tensor2d(table, [11, 6]));
    const [wasm] = await on('wasm', f);
    const want = new Array(11 * 6).fill(0);
    ids.forEach((id, i) => { for (let j = 0; j < 6; j++) want[id * 6 + j] += weights[i * 6 + j]; });
    expectClose([wasm], [want], 1e-6);
    expectClose([wasm], await on('cpu', f), 1e-6);
  });

  it('2-D indices and gather along axis 1', async () => {
    const f = () => {
      const g2d = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor2d(ids.slice(0, 8), [2, 4], 'int32')))))(tf.tensor2d(table, [11, 6]));
      const gAxis1 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d([5, 0, 5, 2], 'int32'), 1), tf.tensor2d(weights.slice(0, 44), [11, 4]))))(tf.tensor2d(table, [11, 6]));
      return [g2d, gAxis1];
    };
    expectClose(await on('wasm', f), await on('cpu', f), 1e-6);
  });
});
