// `--engine onnx`: sentence embeddings of a model folder through onnxruntime-node on all CPU
// cores. The graph is the export's (encoder-graph.ts), built in memory from the folder's weights,
// so an onnx/model.onnx left from other weights is never used. Texts are tokenized once, sorted by
// length and batched so each batch pads little; results come back in input order.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildEncoderGraph } from './encoder-graph.js';
import { DEFAULT_OPSET, encodeOnnxModel } from '../onnx/onnx-file.js';
import { encodeInBatches } from '../model/encode-batches.js';
import { describeModelFolder, type ModelFolder, readModelFolder } from '../model/folder.js';
import { type PromptChoice, type PromptConfig, resolvePrompt, roleChoice } from '../model/prompts.js';
import { loadTokenizer, type TextTokenizer } from '../model/tokenizer.js';

export interface OnnxEncodeOptions extends PromptChoice {
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Token ids of a padded batch, int64 row-major [batchSize, seqLen], as the graph takes them. */
export interface Int64Batch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batchSize: number;
  seqLen: number;
  /** Prompt tokens at the start of every row (TokenBatch.promptLength); fed to graphs that take prompt_length. */
  promptLength?: number;
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

/** A session over an .onnx file, or over model bytes; `label` names the model in errors. */
export async function createSession(model: string | Uint8Array, label = typeof model === 'string' ? model : 'the in-memory model'): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: os.availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  try {
    // Two calls, one per overload (path or bytes): TypeScript picks an overload per argument type.
    return typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  } catch (e) {
    throw new Error(`${label}: onnxruntime cannot load it (${(e as Error).message})`);
  }
}

/**
 * An encoder over an ONNX model (a file, or bytes with the name errors give), with the tokenizer
 * and prompt settings of a model folder (`promptsFile` names where they come from in errors).
 */
export async function openOnnxEncoder(model: string | { bytes: Uint8Array; name: string }, tokenizer: TextTokenizer, prompts: PromptConfig, promptsFile: string): Promise<OnnxEncoder> {
  const label = typeof model === 'string' ? model : model.name;
  const session = await createSession(typeof model === 'string' ? model : model.bytes, label);
  if (!session.outputNames.includes('sentence_embedding')) {
    throw new Error(`${label}: has no sentence_embedding output (outputs: ${session.outputNames.join(', ')}); export the folder with densetrain export`);
  }
  const withTypes = session.inputNames.includes('token_type_ids');
  const withPromptLength = session.inputNames.includes('prompt_length');

  const run = async (b: Int64Batch, outputs: string[]) => {
    const dims = [b.batchSize, b.seqLen];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', b.inputIds, dims),
      attention_mask: new ort.Tensor('int64', b.attentionMask, dims),
    };
    if (withTypes) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(b.inputIds.length), dims);
    if (withPromptLength) feeds.prompt_length = new ort.Tensor('int64', new BigInt64Array(b.batchSize).fill(BigInt(b.promptLength ?? 0)), [b.batchSize]);
    const res = await session.run(feeds, outputs);
    return Object.fromEntries(outputs.map((n) => [n, res[n].data as Float32Array]));
  };

  const encode = async (texts: string[], o: OnnxEncodeOptions = {}): Promise<Float32Array[]> => {
    const prompt = resolvePrompt(prompts, o, promptsFile);
    // An exported file pools every token (buildEncoderGraph's promptLength false): right only without a prompt.
    if (prompt !== '' && !prompts.includePrompt && !withPromptLength)
      throw new Error(`${label}: has no prompt_length input, so it cannot leave the prompt out of the pooling as the folder's include_prompt false asks; encode with prompts through the model folder (densetrain's in-memory ONNX encoder)`);
    return encodeInBatches(texts, tokenizer, prompt, o.batchSize ?? 32,
      async (rows, promptLength) => (await run({ ...padBatch(rows, tokenizer.padId), promptLength }, ['sentence_embedding'])).sentence_embedding, o.onProgress);
  };

  return {
    session,
    tokenizer,
    run,
    encode,
    encodeAs: (role, texts, o = {}) => encode(texts, roleChoice(prompts, role, o)),
    release: () => session.release(),
  };
}

/** The ONNX encoder of a model folder, built in memory from its weights (onnx/model.onnx unread). */
export async function loadOnnxModel(dir: string): Promise<OnnxEncoder> {
  return onnxModelFromFolder(readModelFolder(dir));
}

/** As loadOnnxModel, from a folder already read (its `weights` may be a training run's current ones). */
export async function onnxModelFromFolder(folder: ModelFolder): Promise<OnnxEncoder> {
  const dir = folder.dir;
  const bytes = encodeOnnxModel(buildEncoderGraph(folder, { opset: DEFAULT_OPSET }), dir);
  const tokenizer = loadTokenizer(dir, folder.maxSeqLength);
  return openOnnxEncoder({ bytes, name: dir }, tokenizer, folder, path.join(dir, 'config_sentence_transformers.json'));
}

/** The encoder of an exported folder's own onnx/model.onnx file, as other runtimes load it. */
export async function loadExportedOnnx(dir: string): Promise<OnnxEncoder> {
  const onnxPath = path.join(dir, 'onnx', 'model.onnx');
  if (!fs.existsSync(onnxPath)) throw new Error(`${onnxPath}: missing (make it with densetrain export --model ${dir} --output OUT)`);
  const folder = describeModelFolder(dir);
  const tokenizer = loadTokenizer(dir, folder.maxSeqLength);
  return openOnnxEncoder(onnxPath, tokenizer, folder, path.join(dir, 'config_sentence_transformers.json'));
}
