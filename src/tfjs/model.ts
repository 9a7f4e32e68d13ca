// A sentence encoder in memory: a model folder's weights as tfjs variables plus its tokenizer.
// `encode` is sentence-transformers' `encode`; `embed` is the differentiable path training uses.
import * as tf from '@tensorflow/tfjs';
import { type EncodeOptions, encodeInBatches } from '../model/encode-batches.js';
import type { Dropout } from '../model/dropout-mask.js';
import { encoderForward, type Params } from './encoder.js';
import { type FolderOptions, type ModelFolder, readModelFolder } from '../model/folder.js';
import { l2Normalize, pool } from './pooling.js';
import { resolvePrompt, roleChoice } from '../model/prompts.js';
import { toInOutLayout } from '../model/in-out-layout.js';
import type { TensorMap } from '../model/safetensors.js';
import { saveModelFolder } from '../model/save.js';
import { loadTokenizer, type TextTokenizer, type TokenBatch } from '../model/tokenizer.js';
import { type EncoderConfig, TFJS_ARCHITECTURES, weightShapes } from '../model/config.js';

export interface SentenceModel {
  folder: ModelFolder;
  tokenizer: TextTokenizer;
  /** Trainable weights by Hugging Face name (Linear weights stored [in, out]). */
  params: Map<string, tf.Variable>;
  /** Sentence embeddings [B, H] of a token batch; differentiable w.r.t. params. With `dropout`, in training mode. */
  embed(batch: TokenBatch, dropout?: Dropout): tf.Tensor2D;
  /** Embeddings of texts, as sentence-transformers' encode returns them. */
  encode(texts: string[], opts?: EncodeOptions): Promise<Float32Array[]>;
  /** As sentence-transformers' encode_query / encode_document: the folder's 'query' or 'document' prompt when it has one. */
  encodeAs(role: 'query' | 'document', texts: string[], opts?: EncodeOptions): Promise<Float32Array[]>;
  /** Current weights in Hugging Face layout (pooler and other untrained tensors included). */
  hostWeights(): TensorMap;
  save(dir: string): void;
  dispose(): void;
}

export async function loadModel(dir: string, opts: FolderOptions = {}): Promise<SentenceModel> {
  return modelFromFolder(readModelFolder(dir, opts));
}

let modelCount = 0;

/** The tfjs encoder computes BERT and XLM-RoBERTa only; the other architectures are the ONNX graph's. */
export function checkTfjsArchitecture(cfg: EncoderConfig, dir: string): void {
  if (!TFJS_ARCHITECTURES.includes(cfg.modelType)) {
    throw new Error(`${dir}: ${cfg.modelType} models run on the onnx engine only (tfjs computes ${TFJS_ARCHITECTURES.join(', ')}); use --engine onnx (train.engine: onnx or auto)`);
  }
}

export function modelFromFolder(folder: ModelFolder): SentenceModel {
  checkTfjsArchitecture(folder.config, folder.dir);
  // tfjs variable names are global: prefix them so several models can live side by side.
  const prefix = `model${modelCount++}/`;
  const tokenizer = loadTokenizer(folder.dir, folder.maxSeqLength);
  const params = new Map<string, tf.Variable>();
  for (const name of weightShapes(folder.config).keys()) {
    const t = toInOutLayout(name, folder.weights.get(name)!);
    params.set(name, tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape, 'float32'), true, prefix + name)));
  }
  const cfg = folder.config;

  const embed = (batch: TokenBatch, dropout?: Dropout): tf.Tensor2D =>
    tf.tidy(() => {
      const pooled = pool(encoderForward(params as Params, cfg, batch, dropout), batch, folder.pooling, folder.includePrompt);
      return folder.normalize ? l2Normalize(pooled) : pooled;
    });

  const encode = async (texts: string[], o: EncodeOptions = {}): Promise<Float32Array[]> => {
    const prompt = resolvePrompt(folder, o, `${folder.dir}/config_sentence_transformers.json`);
    return encodeInBatches(texts, tokenizer, prompt, o.batchSize ?? 32, async (rows, promptLength) => {
      const e = embed({ ...tokenizer.padBatch(rows), promptLength });
      const data = (await e.data()) as Float32Array;
      e.dispose();
      return data;
    }, o.onProgress);
  };

  const hostWeights = (): TensorMap => {
    const out: TensorMap = new Map(folder.weights);
    for (const [name, v] of params) {
      out.set(name, toInOutLayout(name, { shape: v.shape, data: v.dataSync() as Float32Array }));
    }
    return out;
  };

  const encodeAs = (role: 'query' | 'document', texts: string[], o: EncodeOptions = {}) =>
    encode(texts, roleChoice(folder, role, o));

  return {
    folder,
    tokenizer,
    params,
    embed,
    encode,
    encodeAs,
    hostWeights,
    save: (dir) => saveModelFolder(folder, dir, hostWeights()),
    dispose: () => params.forEach((v) => v.dispose()),
  };
}
