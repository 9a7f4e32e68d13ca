import { describe, expect, it } from 'vitest';
import { fuseRanks } from '../../src/mine/fuse.js';

const hits = (ids: number[]) => ids.map((index, r) => ({ index, score: 100 - r }));

describe('reciprocal rank fusion', () => {
  it('sums 1 / (k + rank) over the rankings holding a document, ties to the lower id', () => {
    const fused = fuseRanks([hits([5, 1, 9]), hits([1, 7])], 60, 10);
    // 1: 1/62 + 1/61; 5: 1/61; 7: 1/62; 9: 1/63
    expect(fused.map((h) => h.index)).toEqual([1, 5, 7, 9]);
    expect(fused[0].score).toBeCloseTo(1 / 62 + 1 / 61, 15);
    expect(fused[3].score).toBeCloseTo(1 / 63, 15);
    // 2 and 3 both first in one ranking: equal, so the lower id first
    expect(fuseRanks([hits([3]), hits([2])], 60, 10).map((h) => h.index)).toEqual([2, 3]);
    expect(fuseRanks([hits([5, 1, 9]), hits([1, 7])], 60, 2).map((h) => h.index)).toEqual([1, 5]);
  });
});
