// Negative sampling per record: restrict the record's negatives to a rank window (skip the top-k,
// as mined-negative recipes do), drop likely false negatives (scored within a margin of, or above,
// the positive), then take num_negatives of the rest: the first ones, random ones, or the top
// ones by teacher score.
import type { DataConfig } from './config.js';
import type { FieldProblem } from './mapping.js';
import type { Rng } from './rng.js';
import type { Triple } from './triple.js';

export type SamplingConfig = Pick<
  DataConfig,
  'num_negatives' | 'negative_sampling' | 'negatives_skip_top' | 'negatives_max_rank' | 'false_negative_margin'
>;

export function sampleNegatives(t: Triple, cfg: SamplingConfig, rng: Rng): Triple | FieldProblem {
  const k = cfg.num_negatives;
  const { negativeScores: scores, ...rest } = t;
  if (k === 0) return { ...rest, negatives: [] };

  let candidates = t.negatives.map((_, i) => i);
  if (cfg.negatives_skip_top > 0 || cfg.negatives_max_rank !== null) {
    const ranked = scores ? byScore(candidates, scores) : candidates;
    const window = new Set(ranked.slice(cfg.negatives_skip_top, cfg.negatives_max_rank ?? undefined));
    candidates = candidates.filter((i) => window.has(i));
  }
  if (cfg.false_negative_margin !== null && scores && t.positiveScore !== undefined) {
    const limit = t.positiveScore - cfg.false_negative_margin;
    candidates = candidates.filter((i) => scores[i] < limit);
  }
  if (candidates.length < k)
    return { field: 'negatives', reason: `needs ${k} negatives, has ${candidates.length} after rank window and false-negative filter (of ${t.negatives.length})` };

  let chosen: number[];
  if (cfg.negative_sampling === 'first') chosen = candidates.slice(0, k);
  else if (cfg.negative_sampling === 'top') chosen = byScore(candidates, scores!).slice(0, k);
  else {
    // partial Fisher-Yates: k distinct picks
    chosen = candidates.slice();
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(chosen.length - i);
      [chosen[i], chosen[j]] = [chosen[j], chosen[i]];
    }
    chosen.length = k;
  }
  const negatives = chosen.map((i) => t.negatives[i]);
  return scores ? { ...rest, negatives, negativeScores: chosen.map((i) => scores[i]) } : { ...rest, negatives };
}

/** Indices by descending score; ties keep list order. */
function byScore(indices: number[], scores: number[]): number[] {
  return indices.slice().sort((a, b) => scores[b] - scores[a] || a - b);
}
