import { describe, expect, it } from 'vitest';
import { searchDense, unit, type EmbeddingMatrix } from '../../src/mine/dense.js';
import { openOnnxSearch } from '../../src/mine/onnx-search.js';

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function matrix(n: number, dim: number, rand: () => number): EmbeddingMatrix {
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) data.set(unit(Float32Array.from({ length: dim }, () => rand() - 0.5), i), i * dim);
  return { dim, count: n, data };
}

describe('dense search on onnxruntime', () => {
  it('finds the same top-k as the plain loop, across corpus blocks, scores within float32 rounding', async () => {
    const rand = rng(3);
    // 70,000 rows: three blocks of 32,768, the last one short
    const m = matrix(70_000, 24, rand);
    const queries = Array.from({ length: 7 }, (_, i) => unit(Float32Array.from({ length: 24 }, () => rand() - 0.5), i));
    const s = await openOnnxSearch(m);
    try {
      for (const k of [1, 50]) {
        const got = await s.search(queries, k);
        const want = searchDense(m, queries, k);
        got.forEach((hits, q) => {
          expect(hits.map((h) => h.index)).toEqual(want[q].map((h) => h.index));
          hits.forEach((h, j) => expect(Math.abs(h.score - want[q][j].score)).toBeLessThan(1e-6));
        });
      }
      // k above the corpus size: every row, ranked
      const small = matrix(5, 8, rand);
      const s2 = await openOnnxSearch(small);
      const q = [unit(Float32Array.from({ length: 8 }, () => rand() - 0.5), 0)];
      expect((await s2.search(q, 10))[0].map((h) => h.index)).toEqual(searchDense(small, q, 10)[0].map((h) => h.index));
      await s2.release();
    } finally {
      await s.release();
    }
  });
});
