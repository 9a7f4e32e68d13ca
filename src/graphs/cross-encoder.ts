// Cross-encoders (Hugging Face sequence-classification folders: BERT, XLM-RoBERTa) on onnxruntime:
// (query, document) pairs tokenized together with transformers' longest_first truncation, the
// encoder graph of the export plus the folder's classifier head, built in memory. One label only:
// `logits` are the raw outputs, `scores` what sentence-transformers' CrossEncoder.predict returns
// (the sigmoid of the logit, unless the folder's config names another activation).
import * as ort from 'onnxruntime-node';
import { buildCrossEncoderGraph } from './cross-encoder-graph.js';
import { DEFAULT_OPSET, encodeOnnxModel } from '../onnx/onnx-file.js';
import { readCrossEncoderFolder } from '../model/cross-encoder-folder.js';
import { loadPairTokenizer } from '../model/pair-tokenizer.js';
import { createSession } from './onnx-encoder.js';

export interface CrossEncoderPredictOptions {
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface CrossEncoder {
  /** Logits and scores of each (query, document) pair, in input order. */
  predict(pairs: [string, string][], opts?: CrossEncoderPredictOptions): Promise<{ logits: Float32Array; scores: Float32Array }>;
  /** Pairs are truncated to this many tokens, special tokens included. */
  maxLength: number;
  release(): Promise<void>;
}

export interface CrossEncoderOptions {
  /** Overrides the folder's max length (tokenizer_config's model_max_length, capped by the positions). */
  maxLength?: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export async function loadCrossEncoder(dir: string, opts: CrossEncoderOptions = {}): Promise<CrossEncoder> {
  const ce = readCrossEncoderFolder(dir, { maxSeqLength: opts.maxLength });
  const cfg = ce.encoder.config;
  const positions = cfg.modelType === 'xlm-roberta' ? cfg.maxPositions - cfg.padTokenId - 1 : cfg.maxPositions;
  if (opts.maxLength !== undefined && !(Number.isInteger(opts.maxLength) && opts.maxLength > 0 && opts.maxLength <= positions)) {
    throw new Error(`max length ${opts.maxLength}: must be a whole number from 1 to ${positions} (the positions of ${dir}/config.json)`);
  }
  const maxLength = ce.encoder.maxSeqLength;
  const tokenizer = loadPairTokenizer(dir, maxLength);
  const session = await createSession(encodeOnnxModel(buildCrossEncoderGraph(ce, { opset: DEFAULT_OPSET }), dir), dir);
  const withTypes = session.inputNames.includes('token_type_ids');
  const activate = ce.activation === 'sigmoid' ? sigmoid : (x: number) => x;

  /** Logits of pairs already tokenized, one padded batch. */
  const runBatch = async (rows: { ids: number[]; typeIds: number[] }[]): Promise<Float32Array> => {
    const seqLen = Math.max(1, ...rows.map((r) => r.ids.length));
    const dims = [rows.length, seqLen];
    const ids = new BigInt64Array(rows.length * seqLen).fill(BigInt(tokenizer.padId));
    const mask = new BigInt64Array(rows.length * seqLen);
    const types = new BigInt64Array(rows.length * seqLen);
    rows.forEach((r, i) => {
      for (let t = 0; t < r.ids.length; t++) {
        ids[i * seqLen + t] = BigInt(r.ids[t]);
        mask[i * seqLen + t] = 1n;
        types[i * seqLen + t] = BigInt(r.typeIds[t]);
      }
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
    };
    if (withTypes) feeds.token_type_ids = new ort.Tensor('int64', types, dims);
    return (await session.run(feeds, ['logits'])).logits.data as Float32Array;
  };

  const predict: CrossEncoder['predict'] = async (pairs, o = {}) => {
    const batchSize = o.batchSize ?? 32;
    const encoded = pairs.map(([a, b]) => tokenizer.encodePair(a, b));
    // Longest first, so each batch pads little; results go back to input order.
    const order = encoded.map((_, i) => i).sort((x, y) => encoded[y].ids.length - encoded[x].ids.length);
    const logits = new Float32Array(pairs.length);
    for (let s = 0; s < order.length; s += batchSize) {
      const chunk = order.slice(s, s + batchSize);
      const out = await runBatch(chunk.map((i) => encoded[i]));
      chunk.forEach((i, r) => (logits[i] = out[r]));
      o.onProgress?.(Math.min(s + batchSize, order.length), order.length);
    }
    return { logits, scores: logits.map(activate) };
  };

  return { predict, maxLength, release: () => session.release() };
}
