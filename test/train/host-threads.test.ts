// AdamW over several threads (host-threads.ts) and the fused update (host-optim.ts: averaging,
// clipping, AdamW and zeroing in one pass): the same bits as one thread running the separate
// passes the optimizer made before (scale in place, norm, clip in place, AdamW, zero).
import { describe, expect, it } from 'vitest';
import type { TensorMap } from '../../src/model/safetensors.js';
import { ADAMW_DEFAULTS, clipCoefficient, type HostMoments, hostAdamwStep, hostGlobalNorm, sharedCopy, zeroMoments } from '../../src/train/host-optim.js';
import { openHostThreads } from '../../src/train/host-threads.js';

const SIZES: [string, number][] = [['encoder.layer.0.attention.self.query.weight', 100_003], ['encoder.layer.0.output.LayerNorm.bias', 7], ['pooler.dense.bias', 1], ['embeddings.word_embeddings.weight', 40_000]];
const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 3);
const tensors = (seed: number): TensorMap => sharedCopy(new Map(SIZES.map(([n, len], k) => [n, { shape: [len], data: rand(len, seed + k) }])));
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** The optimizer's passes as they were before the fusion: each one a loop over every gradient, rounding to float32 as it stores. */
function separatePasses(params: TensorMap, grads: TensorMap, s: HostMoments, lr: number, microBatches: number, maxNorm: number): number {
  for (const g of grads.values()) for (let i = 0; i < g.data.length; i++) g.data[i] *= 1 / microBatches;
  let sq = 0;
  for (const g of grads.values()) for (const x of g.data) sq += x * x;
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const g of grads.values()) for (let i = 0; i < g.data.length; i++) g.data[i] *= coef;
  s.step += 1;
  const [b1, b2] = ADAMW_DEFAULTS.betas;
  for (const [name, p] of params) {
    const g = grads.get(name)!.data, m = s.m.get(name)!.data, v = s.v.get(name)!.data;
    const keep = name.endsWith('.weight') && !name.includes('LayerNorm') ? 1 - lr * ADAMW_DEFAULTS.weightDecay : 1;
    for (let i = 0; i < p.data.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p.data[i] = p.data[i] * keep - (lr / (1 - b1 ** s.step)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** s.step) + ADAMW_DEFAULTS.eps));
    }
    g.fill(0);
  }
  return norm;
}

describe('AdamW over threads', () => {
  for (const cores of [1, 2, 3]) {
    it(`${cores} thread(s), fused, over 3 steps with averaging and clipping: the separate passes' bits (weights, moments, norms; gradients zeroed)`, async () => {
      const [p1, p2] = [tensors(1), tensors(1)];
      const [s1, s2] = [zeroMoments(p1), zeroMoments(p2)];
      const g2 = tensors(99);
      const threads = openHostThreads([...p2].map(([n, p]) => ({ w: p.data, g: g2.get(n)!.data, m: s2.m.get(n)!.data, v: s2.v.get(n)!.data })), cores);
      expect(threads === undefined).toBe(cores === 1);
      try {
        for (let step = 1; step <= 3; step++) {
          const g1 = tensors(10 * step);
          for (const [n, g] of g1) g2.get(n)!.data.set(g.data);
          const microBatches = step === 2 ? 1 : 3;
          const maxNorm = step === 3 ? 1e6 : 1; // clipping in steps 1 and 2 only
          const want = separatePasses(p1, g1, s1, 1e-2, microBatches, maxNorm);
          const average = microBatches > 1 ? 1 / microBatches : 1;
          const norm = hostGlobalNorm(g2, average);
          expect(norm).toBe(want);
          hostAdamwStep(p2, g2, s2, 1e-2, ADAMW_DEFAULTS, new Set(), { average, clip: clipCoefficient(norm, maxNorm) }, threads);
          for (const [n] of SIZES) {
            for (const [a, b] of [[p1, p2], [s1.m, s2.m], [s1.v, s2.v]] as const) expect(bits(b.get(n)!.data), `${n} step ${step}`).toEqual(bits(a.get(n)!.data));
            expect(g2.get(n)!.data.every((x) => x === 0)).toBe(true);
          }
        }
      } finally {
        await threads?.dispose();
      }
    });
  }

  it('arrays outside shared memory run on one thread', () => {
    const plain = { w: new Float32Array(4), g: new Float32Array(4), m: new Float32Array(4), v: new Float32Array(4) };
    expect(openHostThreads([plain], 4)).toBeUndefined();
  });
});
