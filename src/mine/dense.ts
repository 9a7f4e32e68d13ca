// Exact dense search: the corpus embeddings as one normalised float32 matrix (N x dim, 4 * dim
// bytes per document: 1,536 MB per million documents at 384 dimensions), and queries scored
// against every row with a running top-k each, so no query x corpus score matrix is ever held.
// searchDense is the plain loop: the reference for onnx-search.ts, which mine runs.
// Scores are cosine similarities, as mine_hard_negatives computes them (it encodes with
// normalize_embeddings=True and the model's similarity).
import { offer, ranked, topK } from '../eval/top-k.js';

export type EmbedFn = (texts: string[], role: 'query' | 'document') => Promise<Float32Array[]>;

export interface EmbeddingMatrix {
  dim: number;
  count: number;
  /** Row-major, each row of unit length. */
  data: Float32Array;
}

/** Embed `count` corpus texts `slice` at a time (so only one slice of texts and raw embeddings is alive). */
export async function embedCorpus(
  count: number,
  texts: (start: number, end: number) => string[],
  embed: EmbedFn,
  slice: number,
  onProgress?: (done: number) => void,
): Promise<EmbeddingMatrix> {
  let m: EmbeddingMatrix | null = null;
  for (let start = 0; start < count; start += slice) {
    const vecs = await embed(texts(start, start + slice), 'document');
    m ??= { dim: vecs[0].length, count, data: new Float32Array(count * vecs[0].length) };
    vecs.forEach((v, i) => m!.data.set(unit(v, start + i), (start + i) * m!.dim));
    onProgress?.(Math.min(start + slice, count));
  }
  if (!m) throw new Error('the corpus is empty');
  return m;
}

/** A unit-length copy (torch's F.normalize: divide by max(norm, 1e-12)); a non-finite value is an error. */
export function unit(v: Float32Array, row: number): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (!Number.isFinite(s)) throw new Error(`embedding ${row} has a non-finite value`);
  const n = Math.max(Math.sqrt(s), 1e-12);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}

export function dotRow(m: EmbeddingMatrix, row: number, q: Float32Array): number {
  const off = row * m.dim;
  let s = 0;
  for (let i = 0; i < m.dim; i++) s += m.data[off + i] * q[i];
  return s;
}

/** For each (unit-length) query, its k best rows: score desc, then lower row. */
export function searchDense(m: EmbeddingMatrix, queries: Float32Array[], k: number): { index: number; score: number }[][] {
  const tops = queries.map(() => topK(Math.min(k, m.count)));
  const d = m.dim;
  const data = m.data;
  for (let row = 0; row < m.count; row++) {
    const off = row * d;
    for (let q = 0; q < queries.length; q++) {
      const v = queries[q];
      let s = 0;
      for (let i = 0; i < d; i++) s += data[off + i] * v[i];
      offer(tops[q], s, row);
    }
  }
  return tops.map(ranked);
}
