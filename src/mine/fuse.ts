// Reciprocal rank fusion (Cormack et al. 2009) of several rankings of the same corpus: a document
// scores the sum over rankings of 1 / (k + rank), rank counted from 1; a ranking that does not
// hold the document adds nothing. Ties go to the lower document id.

export interface Hit {
  index: number;
  score: number;
}

export function fuseRanks(rankings: Hit[][], k: number, limit: number): Hit[] {
  const fused = new Map<number, number>();
  for (const ranking of rankings)
    ranking.forEach((h, r) => fused.set(h.index, (fused.get(h.index) ?? 0) + 1 / (k + r + 1)));
  return [...fused]
    .map(([index, score]) => ({ index, score }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, limit);
}
