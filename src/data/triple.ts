// The records the pipeline hands to training: a query, its positive, sampled negatives with
// optional teacher scores, and the batches made of them.
import type { TokenBatch } from '../model/tokenizer.js';

export interface Triple {
  query: string;
  positive: string;
  negatives: string[];
  positiveScore?: number;
  negativeScores?: number[];
  language?: string;
  /** File the record came from. */
  source?: string;
}

/** A batch before tokenization. */
export interface TripleBatch {
  triples: Triple[];
  /** [B, k] row-major: positive_score - negative_score_k, when every record has scores. */
  teacherMargins?: Float32Array;
  /** Set when batching by language. */
  language?: string;
}

export interface TrainingBatch extends TripleBatch {
  query: TokenBatch;
  positive: TokenBatch;
  /** One TokenBatch of B rows per negative slot k. */
  negatives: TokenBatch[];
}
