// One training step's loss and gradients on onnxruntime: embed every column with the forward
// encoder, take the loss and d(embeddings) on the host (embedding-loss.ts), then run the encoder's
// backward graph per column and sum the weight gradients. Same semantics as the tfjs
// `lossAndGradients` (src/train/gradients.ts) without dropout. cached_mnrl (GradCache) runs both
// passes in mini-batches of `mini_batch_size` rows, so activations stay bounded; its result is
// the same as mnrl's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeOnnxModel } from '../../export/onnx-file.js';
import { type LossBatch, type LossConfig, sliceRows } from '../../losses/batch.js';
import { isLinearWeight } from '../../model/dense.js';
import type { ModelFolder } from '../../model/folder.js';
import { toEngineLayout } from '../../model/model.js';
import type { TensorMap } from '../../model/safetensors.js';
import type { TokenBatch } from '../../model/tokenizer.js';
import { embeddingLossAndGradients } from './embedding-loss.js';
import { buildEncoderVjpGraph, feedableEncoderGraph } from './encoder-vjp.js';

export interface OnnxTrainState {
  forward: ort.InferenceSession;
  backward: ort.InferenceSession;
  hidden: number;
  withTokenTypes: boolean;
  /** Trainable weights by HF name in engine layout (Linear [in, out]); fed every step, so the caller updates them in place. */
  weights: TensorMap;
}

/** Build both graphs and open their sessions once (batch and sequence axes are dynamic). */
export async function createOnnxTrainState(folder: ModelFolder): Promise<OnnxTrainState> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-onnx-'));
  try {
    const fwdFile = path.join(dir, 'forward.onnx'), bwdFile = path.join(dir, 'backward.onnx');
    writeOnnxModel(feedableEncoderGraph(folder).graph, fwdFile);
    const vjp = buildEncoderVjpGraph(folder);
    writeOnnxModel(vjp.graph, bwdFile);
    const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: os.availableParallelism(), graphOptimizationLevel: 'all' };
    const weights: TensorMap = new Map(vjp.params.map((p) => {
      const t = toEngineLayout(p.name, folder.weights.get(p.name)!);
      return [p.name, { shape: p.dims, data: Float32Array.from(t.data.subarray(0, p.dims.reduce((a, b) => a * b, 1))) }];
    }));
    return {
      forward: await ort.InferenceSession.create(fwdFile, opts),
      backward: await ort.InferenceSession.create(bwdFile, opts),
      hidden: folder.config.hiddenSize,
      withTokenTypes: folder.config.modelType === 'bert',
      weights,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function tokenFeeds(s: OnnxTrainState, b: TokenBatch): Record<string, ort.Tensor> {
  const t = (a: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(a, BigInt), [b.batchSize, b.seqLen]);
  const f: Record<string, ort.Tensor> = { input_ids: t(b.inputIds), attention_mask: t(b.attentionMask) };
  if (s.withTokenTypes) f.token_type_ids = t(b.tokenTypeIds);
  return f;
}

function weightFeeds(s: OnnxTrainState): Record<string, ort.Tensor> {
  return Object.fromEntries([...s.weights].map(([name, w]) => [name, new ort.Tensor('float32', w.data, w.shape)]));
}

/** Row ranges [start, end) of `rows` in chunks of `size`. */
function chunks(rows: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < rows; start += size) out.push([start, Math.min(rows, start + size)]);
  return out;
}

export async function onnxLossAndGradients(s: OnnxTrainState, cfg: LossConfig, batch: LossBatch): Promise<{ loss: number; grads: TensorMap }> {
  const columns = [batch.query, batch.positive, ...batch.negatives];
  const chunkRows = cfg.name === 'cached_mnrl' ? cfg.mini_batch_size : Infinity;
  const weights = weightFeeds(s);
  const H = s.hidden;

  const embeddings: Float32Array[] = [];
  for (const col of columns) {
    const e = new Float32Array(col.batchSize * H);
    for (const [a, b] of chunks(col.batchSize, chunkRows)) {
      const out = await s.forward.run({ ...tokenFeeds(s, sliceRows(col, a, b)), ...weights });
      e.set(out.sentence_embedding.data as Float32Array, a * H);
    }
    embeddings.push(e);
  }
  const lossCfg = cfg.name === 'cached_mnrl' ? { ...cfg, name: 'mnrl' as const } : cfg;
  const { loss, grads: dEmb } = embeddingLossAndGradients(lossCfg, { hidden: H, columns: embeddings }, batch.teacherMargins);

  const sums = new Map([...s.weights].map(([name, w]) => [name, new Float32Array(w.data.length)]));
  for (let c = 0; c < columns.length; c++) {
    for (const [a, b] of chunks(columns[c].batchSize, chunkRows)) {
      const seed = new ort.Tensor('float32', dEmb[c].slice(a * H, b * H), [b - a, H]);
      const out = await s.backward.run({ ...tokenFeeds(s, sliceRows(columns[c], a, b)), ...weights, d_sentence_embedding: seed });
      for (const [name, acc] of sums) {
        const g = out[`d_${name}`].data as Float32Array;
        for (let i = 0; i < g.length; i++) acc[i] += g[i];
      }
    }
  }
  // The graph gives HF layout; the engine (and its optimizer state) keeps Linear weights [in, out].
  const grads: TensorMap = new Map([...sums].map(([name, data]) => {
    const dims = s.weights.get(name)!.shape;
    return [name, toEngineLayout(name, { shape: isLinearWeight(name) ? [...dims].reverse() : dims, data })];
  }));
  return { loss, grads };
}
