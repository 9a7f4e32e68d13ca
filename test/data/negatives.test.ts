// Negative sampling: first, random (deterministic for a seed, distinct, every candidate reachable),
// top by teacher score, the rank window and the false-negative filter, on a record whose list
// order differs from its score order.
import { describe, expect, test } from 'vitest';
import { sampleNegatives, type SamplingConfig } from '../../src/data/negatives.js';
import { makeRng, seedRng } from '../../src/data/rng.js';
import type { Triple } from '../../src/data/triple.js';

// scores: n1 > n0 > n3 > n2 (positive 8)
const T: Triple = { query: 'q', positive: 'p', positiveScore: 8, negatives: ['n0', 'n1', 'n2', 'n3'], negativeScores: [6, 7.5, 4, 5] };
const cfg = (c: Partial<SamplingConfig>): SamplingConfig => ({
  num_negatives: 2,
  negative_sampling: 'first',
  negatives_skip_top: 0,
  negatives_max_rank: null,
  false_negative_margin: null,
  ...c,
});
const rng = (seed = 1) => makeRng(seedRng(seed));
const pick = (c: Partial<SamplingConfig>, t: Triple = T): unknown => {
  const r = sampleNegatives(t, cfg(c), rng());
  return 'reason' in r ? r : [r.negatives, r.negativeScores];
};

describe('negative sampling', () => {
  test('first takes list order, top takes the highest scores', () => {
    expect(pick({})).toEqual([['n0', 'n1'], [6, 7.5]]);
    expect(pick({ negative_sampling: 'top' })).toEqual([['n1', 'n0'], [7.5, 6]]);
    expect(pick({ negative_sampling: 'top', num_negatives: 3 })).toEqual([['n1', 'n0', 'n3'], [7.5, 6, 5]]);
  });

  test('random: same seed same picks, distinct, every negative reachable, about uniform', () => {
    const a = sampleNegatives(T, cfg({ negative_sampling: 'random' }), rng(5));
    const b = sampleNegatives(T, cfg({ negative_sampling: 'random' }), rng(5));
    expect(a).toEqual(b);
    const counts = new Map<string, number>();
    const r = rng(9);
    for (let i = 0; i < 4000; i++) {
      const s = sampleNegatives(T, cfg({ negative_sampling: 'random' }), r) as Triple;
      expect(new Set(s.negatives).size).toBe(2);
      s.negatives.forEach((n, j) => expect(s.negativeScores![j]).toBe(T.negativeScores![T.negatives.indexOf(n)]));
      for (const n of s.negatives) counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    // each of 4 negatives is in a pair of 2 with probability 1/2: 2000 of 4000, sd ~32
    for (const n of T.negatives) expect(Math.abs(counts.get(n)! - 2000)).toBeLessThan(150);
  });

  test('rank window: skip the top-k by score (list order without scores), stop at max rank', () => {
    expect(pick({ negatives_skip_top: 1 })).toEqual([['n0', 'n2'], [6, 4]]);
    expect(pick({ negatives_skip_top: 1, negatives_max_rank: 3 })).toEqual([['n0', 'n3'], [6, 5]]);
    const unscored = { ...T, negativeScores: undefined, positiveScore: undefined };
    expect(pick({ negatives_skip_top: 1 }, unscored)).toEqual([['n1', 'n2'], undefined]);
  });

  test('false-negative filter drops negatives scored within the margin of the positive or above', () => {
    // limit 8 - 2 = 6: 7.5 and 6 (exactly at the limit) go
    expect(pick({ false_negative_margin: 2 })).toEqual([['n2', 'n3'], [4, 5]]);
    expect(pick({ false_negative_margin: 0, num_negatives: 4 })).toEqual([['n0', 'n1', 'n2', 'n3'], [6, 7.5, 4, 5]]);
    expect(pick({ false_negative_margin: -1, num_negatives: 1 }, { ...T, negativeScores: [9, 10, 4, 5] })).toEqual([['n2'], [4]]);
  });

  test('too few negatives left is a problem for the record', () => {
    // skip n1 (top), then limit 8 - 3.5 = 4.5 drops n0 and n3: only n2 is left
    expect(pick({ false_negative_margin: 3.5, num_negatives: 2, negatives_skip_top: 1 })).toEqual({
      field: 'negatives',
      reason: 'needs 2 negatives, has 1 after rank window and false-negative filter (of 4)',
    });
    expect(pick({ num_negatives: 0 })).toEqual([[], undefined]);
  });
});
