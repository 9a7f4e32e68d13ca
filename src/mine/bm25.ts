// A BM25 index over the corpus, with Lucene's formula (BM25Similarity since Lucene 8, which drops
// the constant (k1 + 1) factor: rankings are the same):
//   score(q, d) = sum over the query's words t of idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl))
//   idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
// A word repeated in the query counts each time (a Lucene boolean query has a clause per word).
// Document lengths are kept exact (Lucene rounds them to one byte). Words come from
// Intl.Segmenter at word granularity (only word-like segments), lowercased, so Chinese and
// Japanese, written without spaces, split into dictionary words.
//
// Memory: per document 25 bytes (length and length normalisation as float64, the score
// accumulator, a flag) and per distinct word of a document 8 bytes (doc id and term frequency in
// the word's postings), plus the vocabulary; building takes about twice that for a moment.
import { offer, ranked, topK } from '../eval/top-k.js';

export interface Bm25Params {
  k1: number;
  b: number;
}

export const LUCENE_DEFAULTS: Bm25Params = { k1: 1.2, b: 0.75 };

const segmenter = new Intl.Segmenter(undefined, { granularity: 'word' });

/** The words of a text as the index sees them. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const s of segmenter.segment(text)) if (s.isWordLike) out.push(s.segment.toLowerCase());
  return out;
}

export interface Bm25Index {
  readonly size: number;
  /** The k best documents sharing a word with the query (score desc, then lower id). */
  search(query: string, k: number): { index: number; score: number }[];
  /** The score of one document (for tests and checks). */
  score(query: string, doc: number): number;
}

/** Builds the index from documents given in id order (0, 1, ...). */
export class Bm25Builder {
  private vocab = new Map<string, number>();
  private postingDocs: number[][] = [];
  private postingTfs: number[][] = [];
  private lengths: number[] = [];

  add(text: string): void {
    const doc = this.lengths.length;
    const ws = words(text);
    this.lengths.push(ws.length);
    const tf = new Map<number, number>();
    for (const w of ws) {
      let id = this.vocab.get(w);
      if (id === undefined) {
        id = this.postingDocs.length;
        this.vocab.set(w, id);
        this.postingDocs.push([]);
        this.postingTfs.push([]);
      }
      tf.set(id, (tf.get(id) ?? 0) + 1);
    }
    for (const [id, n] of tf) {
      this.postingDocs[id].push(doc);
      this.postingTfs[id].push(n);
    }
  }

  build(params: Bm25Params = LUCENE_DEFAULTS): Bm25Index {
    // postings into typed arrays: a third of the memory of number arrays
    const docs = this.postingDocs.map((p) => Int32Array.from(p));
    const tfs = this.postingTfs.map((p) => Int32Array.from(p));
    const lengths = Float64Array.from(this.lengths);
    const vocab = this.vocab;
    this.postingDocs = [];
    this.postingTfs = [];
    this.lengths = [];
    return makeIndex(vocab, docs, tfs, lengths, params);
  }
}

function makeIndex(vocab: Map<string, number>, docs: Int32Array[], tfs: Int32Array[], lengths: Float64Array, p: Bm25Params): Bm25Index {
  const n = lengths.length;
  const avgdl = n > 0 ? lengths.reduce((a, b) => a + b, 0) / n : 0;
  // per-document part of the denominator, precomputed once
  const norm = lengths.map((dl) => p.k1 * (1 - p.b + (avgdl > 0 ? (p.b * dl) / avgdl : 0)));
  const idf = docs.map((d) => Math.log(1 + (n - d.length + 0.5) / (d.length + 0.5)));
  const acc = new Float64Array(n);
  const touched = new Uint8Array(n);

  const termIds = (query: string): number[] => words(query).flatMap((w) => (vocab.has(w) ? [vocab.get(w)!] : []));

  return {
    size: n,
    search(query, k) {
      const hit: number[] = [];
      for (const t of termIds(query)) {
        const d = docs[t];
        const f = tfs[t];
        for (let i = 0; i < d.length; i++) {
          const doc = d[i];
          if (!touched[doc]) {
            touched[doc] = 1;
            hit.push(doc);
          }
          acc[doc] += (idf[t] * f[i]) / (f[i] + norm[doc]);
        }
      }
      const top = topK(Math.min(k, n));
      for (const doc of hit) {
        offer(top, acc[doc], doc);
        acc[doc] = 0;
        touched[doc] = 0;
      }
      // as Lucene, a document sharing no word with the query is no hit
      return ranked(top);
    },
    score(query, doc) {
      let s = 0;
      for (const t of termIds(query)) {
        const i = docs[t].indexOf(doc);
        if (i >= 0) s += (idf[t] * tfs[t][i]) / (tfs[t][i] + norm[doc]);
      }
      return s;
    },
  };
}
