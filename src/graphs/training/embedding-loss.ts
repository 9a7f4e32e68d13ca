// A loss and its gradient on the sentence embeddings alone: the small [rows, H] end of the ONNX
// training step, run as the loss graph (loss-graph.ts) in onnxruntime, so the whole step is ONNX
// and the encoder's backward graph takes these gradients.
import * as ort from 'onnxruntime-node';
import { encodeOnnxModel } from '../../onnx/onnx-file.js';
import type { LossConfig } from '../../losses/batch.js';
import { buildLossGraph, columnNames } from './loss-graph.js';

/** Embeddings [rows, H] of each column: query, positive, then one per negative slot. */
export interface ColumnEmbeddings {
  hidden: number;
  columns: Float32Array[];
}

export interface EmbeddingLoss {
  loss: number;
  /** dL/d(embeddings), one [rows, H] array per column. */
  grads: Float32Array[];
}

/** Loss sessions by graph: a run uses one or two, so they live as long as the process. */
const sessions = new Map<string, Promise<ort.InferenceSession>>();

function createSession(cfg: LossConfig, numNegatives: number, hidden: number): Promise<ort.InferenceSession> {
  // A few [rows, H] products: a thread pool would cost more than it saves.
  return ort.InferenceSession.create(encodeOnnxModel(buildLossGraph(cfg, numNegatives, hidden), 'the loss graph'), { intraOpNumThreads: 1 });
}

function lossSession(cfg: LossConfig, numNegatives: number, hidden: number): Promise<ort.InferenceSession> {
  const graph: LossConfig = { ...cfg, name: cfg.name === 'margin_mse' ? 'margin_mse' : 'mnrl' };
  const key = `${graph.name}:${graph.scale}:${graph.symmetric}:${numNegatives}:${hidden}`;
  let session = sessions.get(key);
  if (!session) {
    session = createSession(graph, numNegatives, hidden);
    sessions.set(key, session);
  }
  return session;
}

export async function embeddingLossAndGradients(cfg: LossConfig, e: ColumnEmbeddings, teacherMargins?: Float32Array): Promise<EmbeddingLoss> {
  const k = e.columns.length - 2;
  const rows = e.columns[0].length / e.hidden;
  const names = columnNames(k);
  const feeds: Record<string, ort.Tensor> = Object.fromEntries(e.columns.map((c, i) => [names[i], new ort.Tensor('float32', c, [rows, e.hidden])]));
  if (cfg.name === 'margin_mse') {
    if (!teacherMargins) throw new Error('margin_mse: the batch has no teacher margins');
    if (teacherMargins.length !== rows * k) throw new Error(`margin_mse: ${teacherMargins.length} teacher margins for ${rows} queries × ${k} negatives`);
    feeds.teacher_margins = new ort.Tensor('float32', teacherMargins, [rows, k]);
  }
  const out = await (await lossSession(cfg, k, e.hidden)).run(feeds);
  return { loss: (out.loss.data as Float32Array)[0], grads: names.map((n) => out[`d_${n}`].data as Float32Array) };
}
