// Retrieval metrics exactly as sentence-transformers' InformationRetrievalEvaluator.compute_metrics
// computes them: binary relevance, nDCG's ideal ranking is len(relevant) ones cut at k, MAP@k
// divides by min(k, len(relevant)), precision@k divides by k even when fewer hits came back, and
// queries without any relevant document are left out of every average (the evaluator drops them
// before it starts).

export interface Hit {
  id: string;
  score: number;
}

export interface QueryRanking {
  /** Retrieved documents; ranked here by score, highest first, ties keeping this order. */
  hits: Hit[];
  relevant: ReadonlySet<string>;
}

/** What `eval` reports: the contract's metrics, then precision at the evaluator's default ks (1, 3, 5, 10). */
export const METRIC_KEYS = [
  'ndcg@10', 'mrr@10', 'recall@10', 'recall@100', 'map@100', 'accuracy@1', 'accuracy@10',
  'precision@1', 'precision@3', 'precision@5', 'precision@10',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

/** The deepest rank any metric reads: a retriever need keep no more hits per query. */
export const MAX_K = 100;

/** One query's value of a metric family at rank k, from the relevance of its hits in rank order. */
const FAMILIES: Record<string, (rel: boolean[], nRelevant: number, k: number) => number> = {
  ndcg: (rel, n, k) => ndcg(rel, n, k),
  mrr: (rel, _n, k) => reciprocalRank(rel, k),
  recall: (rel, n, k) => count(rel, k) / n,
  precision: (rel, _n, k) => count(rel, k) / k,
  map: (rel, n, k) => averagePrecision(rel, n, k),
  accuracy: (rel, _n, k) => (count(rel, k) > 0 ? 1 : 0),
};

/** `name@k` -> the per-query function; any family at any k up to MAX_K. */
function metricFn(key: string): (rel: boolean[], nRelevant: number) => number {
  const m = /^([a-z]+)@(\d+)$/.exec(key);
  const family = m ? FAMILIES[m[1]] : undefined;
  const k = m ? Number(m[2]) : 0;
  if (!family || !(k >= 1 && k <= MAX_K)) throw new Error(`unknown retrieval metric "${key}" (known: ${Object.keys(FAMILIES).join(', ')} at @1 to @${MAX_K})`);
  return (rel, n) => family(rel, n, k);
}

export function retrievalMetrics(rankings: QueryRanking[]): Record<MetricKey, number>;
export function retrievalMetrics(rankings: QueryRanking[], keys: readonly string[]): Record<string, number>;
export function retrievalMetrics(rankings: QueryRanking[], keys: readonly string[] = METRIC_KEYS): Record<string, number> {
  const fns = keys.map(metricFn);
  const sums = keys.map(() => 0);
  let queries = 0;
  for (const { hits, relevant } of rankings) {
    if (relevant.size === 0) continue;
    if (hits.some((h) => Number.isNaN(h.score))) throw new Error('a retrieval score is NaN: the ranking is undefined');
    // Array.prototype.sort is stable, like Python's sorted(): equal scores keep the input order.
    const ranked = [...hits].sort((a, b) => b.score - a.score).slice(0, MAX_K);
    const rel = ranked.map((h) => relevant.has(h.id));
    fns.forEach((f, i) => (sums[i] += f(rel, relevant.size)));
    queries++;
  }
  if (queries === 0) throw new Error('no query has a relevant document: the metrics are undefined');
  return Object.fromEntries(keys.map((k, i) => [k, sums[i] / queries]));
}

/**
 * The names sentence-transformers gives the same numbers: the evaluator prefixes each with its
 * similarity function (`cosine_ndcg@10`); we score with cosine only.
 */
export function sentenceTransformersNames(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`cosine_${k}`, v]));
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
