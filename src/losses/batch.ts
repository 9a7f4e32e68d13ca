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
