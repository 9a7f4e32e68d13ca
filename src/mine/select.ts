// The negative selection of sentence-transformers' `mine_hard_negatives`, for one query: its
// candidates (first-stage order) with their scores (the cross-encoder's when there is one, else
// the bi-encoder's) pass these steps in this order:
//   1. the query's own positives are removed;
//   2. absolute_margin: removed when score + margin > the positive's score; relative_margin:
//      removed when score > positive score * (1 - margin); with several positives, the lowest
//      positive score counts (the harder positive, as sentence-transformers does);
//   3. max_score removes scores above it, min_score scores below it;
//   4. the rest is ranked by score, the first range_max kept, the first range_min of those dropped;
//   5. `top` takes the first num_negatives, `random` samples num_negatives of them (seeded) and
//      ranks the sample by score again.
// Ties rank by first-stage position (sentence-transformers leaves them to torch.topk).
import type { Rng } from '../data/rng.js';

export interface SelectOptions {
  rangeMin: number;
  rangeMax: number;
  maxScore?: number;
  minScore?: number;
  absoluteMargin?: number;
  relativeMargin?: number;
  numNegatives: number;
  samplingStrategy: 'top' | 'random';
}

export interface Candidate {
  doc: number;
  score: number;
}

/** Why candidates were removed, summed over queries for the run's summary. */
export interface SkipCounts {
  absolute_margin: number;
  relative_margin: number;
  max_score: number;
  min_score: number;
}

export function emptySkipCounts(): SkipCounts {
  return { absolute_margin: 0, relative_margin: 0, max_score: 0, min_score: 0 };
}

/**
 * The chosen negatives, best first. Fewer than numNegatives when not enough candidates survive:
 * the caller decides (by output format) whether such a query is written.
 */
export function selectNegatives(
  candidates: Candidate[],
  positives: Set<number>,
  positiveScores: number[],
  o: SelectOptions,
  rng: Rng,
  skips: SkipCounts,
): Candidate[] {
  const hardestPositive = Math.min(...positiveScores);
  const kept: { c: Candidate; rank: number }[] = [];
  candidates.forEach((c, rank) => {
    if (positives.has(c.doc)) return;
    const reason = removal(c.score, hardestPositive, o);
    if (reason) skips[reason]++;
    else kept.push({ c, rank });
  });
  kept.sort((a, b) => b.c.score - a.c.score || a.rank - b.rank);
  const window = kept.slice(0, o.rangeMax).slice(o.rangeMin);
  if (o.samplingStrategy === 'top') return window.slice(0, o.numNegatives).map((k) => k.c);
  // partial Fisher-Yates over the window: num_negatives distinct picks
  const pool = window.slice();
  const n = Math.min(o.numNegatives, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool
    .slice(0, n)
    .sort((a, b) => b.c.score - a.c.score || a.rank - b.rank)
    .map((k) => k.c);
}

/** The first filter (in sentence-transformers' order) that removes a candidate, if any. */
function removal(score: number, positive: number, o: SelectOptions): keyof SkipCounts | null {
  if (o.absoluteMargin !== undefined && score + o.absoluteMargin > positive) return 'absolute_margin';
  if (o.relativeMargin !== undefined && score > positive * (1 - o.relativeMargin)) return 'relative_margin';
  if (o.maxScore !== undefined && score > o.maxScore) return 'max_score';
  if (o.minScore !== undefined && score < o.minScore) return 'min_score';
  return null;
}
