// Retrieval metrics exactly as sentence-transformers' InformationRetrievalEvaluator.compute_metrics
// computes them: binary relevance, nDCG's ideal ranking is len(relevant) ones cut at k, MAP@k
// divides by min(k, len(relevant)), and queries without any relevant document are left out of
// every average (the evaluator drops them before it starts).

export interface Hit {
  id: string;
  score: number;
}

export interface QueryRanking {
  /** Retrieved documents; ranked here by score, highest first, ties keeping this order. */
  hits: Hit[];
  relevant: ReadonlySet<string>;
}

export const METRIC_KEYS = ['ndcg@10', 'mrr@10', 'recall@10', 'recall@100', 'map@100', 'accuracy@1', 'accuracy@10'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

/** The deepest rank any metric reads: a retriever need keep no more hits per query. */
export const MAX_K = 100;

/** One query's value of each metric, from the relevance of its hits in rank order. */
const PER_QUERY: Record<MetricKey, (rel: boolean[], nRelevant: number) => number> = {
  'ndcg@10': (rel, n) => ndcg(rel, n, 10),
  'mrr@10': (rel) => reciprocalRank(rel, 10),
  'recall@10': (rel, n) => count(rel, 10) / n,
  'recall@100': (rel, n) => count(rel, 100) / n,
  'map@100': (rel, n) => averagePrecision(rel, n, 100),
  'accuracy@1': (rel) => (count(rel, 1) > 0 ? 1 : 0),
  'accuracy@10': (rel) => (count(rel, 10) > 0 ? 1 : 0),
};

export function retrievalMetrics(rankings: QueryRanking[]): Record<MetricKey, number> {
  const sums = Object.fromEntries(METRIC_KEYS.map((k) => [k, 0])) as Record<MetricKey, number>;
  let queries = 0;
  for (const { hits, relevant } of rankings) {
    if (relevant.size === 0) continue;
    if (hits.some((h) => Number.isNaN(h.score))) throw new Error('a retrieval score is NaN: the ranking is undefined');
    // Array.prototype.sort is stable, like Python's sorted(): equal scores keep the input order.
    const ranked = [...hits].sort((a, b) => b.score - a.score).slice(0, MAX_K);
    const rel = ranked.map((h) => relevant.has(h.id));
    for (const k of METRIC_KEYS) sums[k] += PER_QUERY[k](rel, relevant.size);
    queries++;
  }
  if (queries === 0) throw new Error('no query has a relevant document: the metrics are undefined');
  for (const k of METRIC_KEYS) sums[k] /= queries;
  return sums;
}

function count(rel: boolean[], k: number): number {
  let c = 0;
  for (let i = 0; i < Math.min(k, rel.length); i++) if (rel[i]) c++;
  return c;
}

function reciprocalRank(rel: boolean[], k: number): number {
  const first = rel.slice(0, k).indexOf(true);
  return first < 0 ? 0 : 1 / (first + 1);
}

function dcg(rel: boolean[], k: number): number {
  let s = 0;
  for (let i = 0; i < Math.min(k, rel.length); i++) if (rel[i]) s += 1 / Math.log2(i + 2);
  return s;
}

function ndcg(rel: boolean[], nRelevant: number, k: number): number {
  return dcg(rel, k) / dcg(new Array<boolean>(Math.min(nRelevant, k)).fill(true), k);
}

function averagePrecision(rel: boolean[], nRelevant: number, k: number): number {
  let correct = 0;
  let sum = 0;
  for (let i = 0; i < Math.min(k, rel.length); i++) {
    if (rel[i]) sum += ++correct / (i + 1);
  }
  return sum / Math.min(k, nRelevant);
}
