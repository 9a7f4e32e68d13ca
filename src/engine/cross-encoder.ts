// Cross-encoders (Hugging Face sequence-classification folders: BERT, XLM-RoBERTa) on onnxruntime:
// (query, document) pairs tokenized together with transformers' longest_first truncation, the
// encoder graph of the export plus the folder's classifier head, built in memory. One label only:
// `logits` are the raw outputs, `scores` the sigmoid sentence-transformers' CrossEncoder.predict
// applies to them.

export interface CrossEncoderPredictOptions {
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface CrossEncoder {
  /** Logits and sigmoid scores of each (query, document) pair, in input order. */
  predict(pairs: [string, string][], opts?: CrossEncoderPredictOptions): Promise<{ logits: Float32Array; scores: Float32Array }>;
  /** Pairs are truncated to this many tokens, special tokens included. */
  maxLength: number;
  release(): Promise<void>;
}

export async function loadCrossEncoder(dir: string): Promise<CrossEncoder> {
  throw new Error(`${dir}: cross-encoders are not implemented yet`); // TODO(#15)
}
