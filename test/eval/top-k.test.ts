import { describe, expect, it } from 'vitest';
import { offer, ranked, topK } from '../../src/eval/top-k.js';

/** Deterministic pseudo-random integers (mulberry32), so failures reproduce. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('topK', () => {
  it('keeps the k best pairs by score, ties by lower index, whatever the arrival order', () => {
    const rand = rng(1);
    for (const [n, k] of [[200, 10], [50, 100], [30, 30], [5, 1], [0, 3]]) {
      // scores from 0..7 only: most pairs tie with another
      const scores = Array.from({ length: n }, () => Math.floor(rand() * 8));
      const expected = scores
        .map((score, index) => ({ index, score }))
        .sort((a, b) => b.score - a.score || a.index - b.index)
        .slice(0, k);
      const order = scores.map((_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      const t = topK(k);
      for (const i of order) offer(t, scores[i], i);
      expect(ranked(t), `n=${n} k=${k}`).toEqual(expected);
    }
  });
});
