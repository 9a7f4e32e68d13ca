// The custom-gradient dense layer (src/model/dense.ts) against tfjs's own matMul gradient and
// against central finite differences computed in float64 on the host.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { dense } from '../../src/tfjs/dense.js';

const N = 5, IN = 7, OUT = 4;
const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 1.5);
const X = values(N * IN, 1), W = values(IN * OUT, 2), B = values(OUT, 3), R = values(N * OUT, 4);

/** loss = Σ sin(x·w + b) ⊙ r: nonlinear, so a wrong gradient cannot hide behind linearity. */
const lossWith = (lin: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor) =>
  (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.sin(lin(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D)), tf.tensor2d(R, [N, OUT])));

function gradients(lin: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor): number[][] {
  return tf.tidy(() => tf.grads(lossWith(lin))([tf.tensor2d(X, [N, IN]), tf.tensor2d(W, [IN, OUT]), tf.tensor1d(B)]).map((g) => Array.from(g.dataSync())));
}

/** The same loss in float64 on the host. */
function hostLoss(x: number[], w: number[], b: number[]): number {
  let s = 0;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OUT; o++) {
      let y = b[o];
      for (let i = 0; i < IN; i++) y += x[n * IN + i] * w[i * OUT + o];
      s += Math.sin(y) * R[n * OUT + o];
    }
  }
  return s;
}

function finiteDifferences(): number[][] {
  const args = [X, W, B].map((a) => Float32Array.from(a)).map((a) => Array.from(a));
  const h = 1e-6;
  return args.map((arg, k) => arg.map((v, i) => {
    const at = (d: number) => hostLoss(...(args.map((a, j) => (j === k ? a.map((u, t) => (t === i ? v + d : u)) : a)) as [number[], number[], number[]]));
    return (at(h) - at(-h)) / (2 * h);
  }));
}

const own = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.add(tf.matMul(x, w), b);

function expectClose(a: number[][], b: number[][], tol: number) {
  a.forEach((g, k) => g.forEach((v, i) => expect(Math.abs(v - b[k][i]), `grad ${['x', 'w', 'b'][k]}[${i}]`).toBeLessThan(tol)));
}

describe('dense custom gradient', () => {
  it('forward equals x·w + b', async () => {
    await initBackend('cpu');
    const [x, w, b] = [tf.tensor2d(X, [N, IN]), tf.tensor2d(W, [IN, OUT]), tf.tensor1d(B)];
    expect(Array.from(dense(x, w, b).dataSync())).toEqual(Array.from(own(x, w, b).dataSync()));
    tf.dispose([x, w, b]);
  });

  for (const backend of ['cpu', 'wasm']) {
    it(`on ${backend}: equals tfjs's matMul gradient (1e-5) and float64 finite differences (1e-5)`, async () => {
      await initBackend(backend);
      const got = gradients(dense);
      expect(got.map((g) => g.length)).toEqual([N * IN, IN * OUT, OUT]);
      expectClose(got, gradients(own), 1e-5);
      expectClose(got, finiteDifferences(), 1e-5);
    });
  }
});
