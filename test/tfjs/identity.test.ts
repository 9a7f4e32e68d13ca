// The zero-copy wasm Identity kernel (src/tfjs/kernels/identity.ts): a clone shares its
// source's memory, so it must outlive the source, not see later assigns, and free once.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';

describe('Identity on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('a clone shares the buffer, survives disposal of its source, and frees it once both are gone', () => {
    const before = tf.memory();
    const x = tf.tensor1d([1, 2, 3]);
    const c = tf.clone(x);
    expect(tf.memory().numDataBuffers - before.numDataBuffers).toBe(1); // no copy
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    c.dispose();
    expect([tf.memory().numDataBuffers, tf.memory().numBytes]).toEqual([before.numDataBuffers, before.numBytes]);
  });

  it('assigning a variable does not change a clone taken before', () => {
    const v = tf.variable(tf.tensor1d([4, 5, 6]));
    const c = tf.clone(v);
    tf.tidy(() => v.assign(tf.tensor1d([7, 8, 9])));
    expect(Array.from(c.dataSync())).toEqual([4, 5, 6]);
    expect(Array.from(v.dataSync())).toEqual([7, 8, 9]);
    tf.dispose([v, c]);
  });

  it('a shared buffer moves to another backend intact', async () => {
    const x = tf.tensor1d([1.5, -2]);
    const c = tf.clone(x);
    await initBackend('cpu');
    expect(Array.from(c.dataSync())).toEqual([1.5, -2]);
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1.5, -2]);
    c.dispose();
    await initBackend('wasm');
  });
});
