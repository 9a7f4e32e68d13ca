// `--engine onnx`: sentence embeddings from an exported model folder (onnx/model.onnx) through
// onnxruntime-node on all CPU cores. Texts are tokenized once, sorted by length and batched so each
// batch pads little; results come back in input order.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { encodeInBatches, promptText } from '../model/encode-batches.js';
import { describeModelFolder } from '../model/folder.js';
import { loadTokenizer, type TextTokenizer } from '../model/tokenizer.js';

export interface OnnxEncodeOptions {
  batchSize?: number;
  /** A key of the folder's prompts (e.g. 'query'), prepended to every text. */
  promptName?: string;
  onProgress?: (done: number, total: number) => void;
}

/** Token ids of a padded batch, int64 row-major [batchSize, seqLen], as the graph takes them. */
export interface Int64Batch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batchSize: number;
  seqLen: number;
}

export interface OnnxEncoder {
  session: ort.InferenceSession;
  tokenizer: TextTokenizer;
  /** Named float outputs of one batch (e.g. last_hidden_state, sentence_embedding). */
  run(batch: Int64Batch, outputs: string[]): Promise<Record<string, Float32Array>>;
  /** Embeddings of texts, as sentence-transformers' encode returns them. */
  encode(texts: string[], opts?: OnnxEncodeOptions): Promise<Float32Array[]>;
  /** As sentence-transformers' encode_query / encode_document: the folder's prompt of that role, if any. */
  encodeAs(role: 'query' | 'document', texts: string[], opts?: OnnxEncodeOptions): Promise<Float32Array[]>;
  release(): Promise<void>;
}

/** Pad token id lists (already truncated) to the longest. */
export function padBatch(rows: number[][], padId: number): Int64Batch {
  const seqLen = Math.max(1, ...rows.map((r) => r.length));
  const inputIds = new BigInt64Array(rows.length * seqLen).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(rows.length * seqLen);
  rows.forEach((r, i) => {
    for (let t = 0; t < r.length; t++) {
      inputIds[i * seqLen + t] = BigInt(r[t]);
      attentionMask[i * seqLen + t] = 1n;
    }
  });
  return { inputIds, attentionMask, batchSize: rows.length, seqLen };
}

export async function createSession(onnxPath: string): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(onnxPath, {
      intraOpNumThreads: os.availableParallelism(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    throw new Error(`${onnxPath}: onnxruntime cannot load it (${(e as Error).message})`);
  }
}

/** An encoder over the ONNX model at `onnxPath`, with the tokenizer and prompts of a model folder. */
export async function openOnnxEncoder(onnxPath: string, tokenizer: TextTokenizer, prompts: Record<string, string>, promptsFile: string): Promise<OnnxEncoder> {
  const session = await createSession(onnxPath);
  if (!session.outputNames.includes('sentence_embedding')) {
    throw new Error(`${onnxPath}: has no sentence_embedding output (outputs: ${session.outputNames.join(', ')}); export the folder with densetrain export`);
  }
  const withTypes = session.inputNames.includes('token_type_ids');

  const run = async (b: Int64Batch, outputs: string[]) => {
    const dims = [b.batchSize, b.seqLen];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', b.inputIds, dims),
      attention_mask: new ort.Tensor('int64', b.attentionMask, dims),
    };
    if (withTypes) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(b.inputIds.length), dims);
    const res = await session.run(feeds, outputs);
    return Object.fromEntries(outputs.map((n) => [n, res[n].data as Float32Array]));
  };

  const encode = async (texts: string[], o: OnnxEncodeOptions = {}): Promise<Float32Array[]> =>
    encodeInBatches(texts, tokenizer, promptText(prompts, o.promptName, promptsFile), o.batchSize ?? 32,
      async (rows) => (await run(padBatch(rows, tokenizer.padId), ['sentence_embedding'])).sentence_embedding, o.onProgress);

  return {
    session,
    tokenizer,
    run,
    encode,
    encodeAs: (role, texts, o = {}) => encode(texts, { ...o, promptName: role in prompts ? role : undefined }),
    release: () => session.release(),
  };
}

/** The ONNX encoder of an exported model folder (`dir/onnx/model.onnx` next to the model files). */
export async function loadOnnxModel(dir: string): Promise<OnnxEncoder> {
  const onnxPath = path.join(dir, 'onnx', 'model.onnx');
  if (!fs.existsSync(onnxPath)) {
    throw new Error(`${onnxPath}: missing (--engine onnx needs an exported folder: densetrain export --model ${dir} --output OUT)`);
  }
  const folder = describeModelFolder(dir);
  const tokenizer = loadTokenizer(dir, folder.maxSeqLength);
  return openOnnxEncoder(onnxPath, tokenizer, folder.prompts, path.join(dir, 'config_sentence_transformers.json'));
}
