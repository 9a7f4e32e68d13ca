// Exact cosine retrieval over a BEIR set, as sentence-transformers' InformationRetrievalEvaluator
// runs it: queries with at least one relevant document (qrels score > 0, the BEIR/pytrec_eval
// convention) are embedded, the corpus ("title text", see documentText) is embedded chunk by chunk
// in file order, and each query keeps a running top-100, so memory holds one chunk of embeddings
// and never the full score matrix. Ties: score descending, then corpus order. (The evaluator's
// order among exactly equal scores depends on torch.topk and its heap, so it is not defined.)
import { documentText, type BeirSet } from '../data/beir.js';
import { MAX_K, retrievalMetrics, type QueryRanking } from './metrics.js';
import { offer, ranked, topK } from './top-k.js';

/** Embeds texts; `role` lets the caller apply a query or document prompt, as encode_query/encode_document do. */
export type EmbedFn = (texts: string[], role: 'query' | 'document') => Promise<Float32Array[]>;

export interface EvalOptions {
  /** Documents embedded and scored at a time (sentence-transformers' default: 50000). */
  corpusChunkSize?: number;
  /** Texts per embed call; by default a whole chunk, so the embedder can sort it by length. */
  batchSize?: number;
}

// cos_sim normalises with torch's F.normalize, which divides by max(norm, 1e-12).
const NORM_EPS = 1e-12;

export async function evaluateRetrieval(set: BeirSet, embed: EmbedFn, opts: EvalOptions = {}): Promise<Record<string, number>> {
  const chunkSize = opts.corpusChunkSize ?? 50_000;
  const batchSize = opts.batchSize ?? chunkSize;
  if (!(chunkSize >= 1 && batchSize >= 1)) throw new Error(`corpusChunkSize and batchSize must be at least 1 (got ${chunkSize}, ${batchSize})`);

  const queryIds: string[] = [];
  const relevant: Set<string>[] = [];
  for (const id of set.queries.keys()) {
    const rel = new Set([...(set.qrels.get(id) ?? [])].filter(([, score]) => score > 0).map(([doc]) => doc));
    if (rel.size === 0) continue; // the evaluator drops queries without relevant documents
    queryIds.push(id);
    relevant.push(rel);
  }
  if (queryIds.length === 0) throw new Error('no query has a relevant document (a qrels score > 0): nothing to evaluate');

  const queries = await embedAll(queryIds.map((id) => set.queries.get(id)!), 'query', embed, batchSize, queryIds);
  const dim = queries[0].length;
  const queryNorms = queries.map(norm);
  const tops = queryIds.map(() => topK(MAX_K));
  const corpusIds = [...set.corpus.keys()];
  for (let start = 0; start < corpusIds.length; start += chunkSize) {
    const ids = corpusIds.slice(start, start + chunkSize);
    const docs = await embedAll(ids.map((id) => documentText(set.corpus.get(id)!)), 'document', embed, batchSize, ids, dim);
    docs.forEach((doc, j) => {
      const docNorm = norm(doc);
      for (let q = 0; q < queries.length; q++) offer(tops[q], dot(queries[q], doc) / (queryNorms[q] * docNorm), start + j);
    });
  }
  const rankings: QueryRanking[] = tops.map((t, q) => ({
    hits: ranked(t).map(({ index, score }) => ({ id: corpusIds[index], score })),
    relevant: relevant[q],
  }));
  return retrievalMetrics(rankings);
}

/** Embed in calls of `batchSize`, checking count, dimension and finiteness (a NaN would make the ranking meaningless). */
async function embedAll(texts: string[], role: 'query' | 'document', embed: EmbedFn, batchSize: number, ids: string[], dim?: number): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let s = 0; s < texts.length; s += batchSize) {
    const batch = texts.slice(s, s + batchSize);
    const vecs = await embed(batch, role);
    if (vecs.length !== batch.length) throw new Error(`embedding ${role}s: got ${vecs.length} embeddings for ${batch.length} texts`);
    for (const v of vecs) {
      const id = ids[out.length];
      dim ??= v.length;
      if (v.length !== dim) throw new Error(`embedding ${role} "${id}": dimension ${v.length}, expected ${dim}`);
      if (!v.every(Number.isFinite)) throw new Error(`embedding ${role} "${id}": has a non-finite value`);
      out.push(v);
    }
  }
  return out;
}

function norm(v: Float32Array): number {
  return Math.max(Math.sqrt(dot(v, v)), NORM_EPS);
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
