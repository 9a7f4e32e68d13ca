// What a loss consumes: the tokenized columns of one training batch.
import type { TokenBatch } from '../model/tokenizer.js';

export interface LossBatch {
  query: TokenBatch;
  positive: TokenBatch;
  /** One TokenBatch of B rows per hard-negative slot. */
  negatives: TokenBatch[];
  /** Teacher margins [B, k] for margin_mse. */
  teacherMargins?: Float32Array;
}

export interface LossConfig {
  name: 'mnrl' | 'cached_mnrl' | 'margin_mse';
  scale: number;
  symmetric: boolean;
  mini_batch_size: number;
  /** sentence-transformers' name: data-parallel ranks' embeddings are gathered for in-batch negatives. */
  gather_across_devices?: boolean;
}

/** Rows [start, end) of a token batch, keeping its padded length. */
export function sliceRows(b: TokenBatch, start: number, end: number): TokenBatch {
  const L = b.seqLen;
  return {
    inputIds: b.inputIds.subarray(start * L, end * L),
    attentionMask: b.attentionMask.subarray(start * L, end * L),
    tokenTypeIds: b.tokenTypeIds.subarray(start * L, end * L),
    batchSize: end - start,
    seqLen: L,
    ...(b.promptLength ? { promptLength: b.promptLength } : {}),
  };
}

/**
 * A token batch padded on the right to `seqLen` tokens (padding masked out): data-parallel ranks
 * with gathered rows pad each column as the one global batch would, so every row has the global
 * batch's shape (its dropout masks are addressed by position).
 */
export function padRows(b: TokenBatch, seqLen: number, padId: number): TokenBatch {
  if (seqLen === b.seqLen) return b;
  if (seqLen < b.seqLen) throw new Error(`padRows: ${b.seqLen} tokens do not fit in ${seqLen}`);
  const n = b.batchSize, L = b.seqLen;
  const widen = (a: Int32Array, fill: number) => {
    const out = new Int32Array(n * seqLen).fill(fill);
    for (let r = 0; r < n; r++) out.set(a.subarray(r * L, (r + 1) * L), r * seqLen);
    return out;
  };
  return {
    inputIds: widen(b.inputIds, padId),
    attentionMask: widen(b.attentionMask, 0),
    tokenTypeIds: widen(b.tokenTypeIds, 0),
    batchSize: n,
    seqLen,
    ...(b.promptLength ? { promptLength: b.promptLength } : {}),
  };
}
