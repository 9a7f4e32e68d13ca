// Backend selection (initBackend). tfjs has one global backend; vitest runs this file in its own
// process (pool 'forks'), and the tests run in order, so 'auto' sees a fresh process.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { describeBackend, initBackend } from '../../src/tfjs/backend.js';

const resolvable = (pkg: string) => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
const native = resolvable('@tensorflow/tfjs-node') || resolvable('@tensorflow/tfjs-node-gpu');

describe('initBackend', () => {
  const env = process.env.DENSETRAIN_BACKEND;
  afterEach(() => {
    if (env === undefined) delete process.env.DENSETRAIN_BACKEND;
    else process.env.DENSETRAIN_BACKEND = env;
  });

  it('auto takes tensorflow when tfjs-node is installed, else wasm', async () => {
    const info = await initBackend('auto');
    expect(info.backend).toBe(native ? 'tensorflow' : 'wasm');
    expect(tf.getBackend()).toBe(info.backend);
    if (!native) expect(describeBackend(info)).toBe('densetrain: tfjs backend wasm on CPU (WebAssembly SIMD, 1 thread)');
  });

  it.skipIf(native)('tensorflow without tfjs-node installed: a clear error, backend unchanged', async () => {
    const before = tf.getBackend();
    await expect(initBackend('tensorflow')).rejects.toThrow(/backend "tensorflow" needs @tensorflow\/tfjs-node .* or use --backend wasm/);
    expect(tf.getBackend()).toBe(before);
  });

  it('cpu and wasm select those backends, back and forth', async () => {
    for (const choice of ['cpu', 'wasm', 'cpu']) {
      const info = await initBackend(choice);
      expect([info.backend, tf.getBackend()]).toEqual([choice, choice]);
      // each computes: a kernel the backend runs, with a known answer
      expect(Array.from(tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]))).dataSync())).toEqual([11]);
    }
  });

  it('the default comes from DENSETRAIN_BACKEND', async () => {
    process.env.DENSETRAIN_BACKEND = 'wasm';
    expect((await initBackend()).backend).toBe('wasm');
    process.env.DENSETRAIN_BACKEND = 'cpu';
    expect((await initBackend()).backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('an unknown choice names the valid ones', async () => {
    await expect(initBackend('gpu')).rejects.toThrow('backend "gpu" is not one of auto, tensorflow, wasm, cpu');
  });
});
