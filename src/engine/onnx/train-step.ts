// One training step's loss and gradients on onnxruntime: embed every column with the forward
// encoder, take the loss and d(embeddings) on the host (embedding-loss.ts), then run the encoder's
// backward graph per column and sum the weight gradients. Same semantics as the tfjs
// `lossAndGradients` (src/train/gradients.ts), dropout included: with a step seed, both engines
// draw the same masks (dropout-masks.ts), and the backward pass of some rows redraws the masks of
// their forward pass. The backward session holds every activation of the rows it is given, so it
// runs on at most `backwardRows` rows at a time; cached_mnrl (GradCache) runs both passes in
// mini-batches of `mini_batch_size` rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { type DropoutSite, dropoutSites } from '../../export/encoder-graph.js';
import { writeOnnxModel } from '../../export/onnx-file.js';
import { columnDropout, type LossBatch, type LossConfig, sliceRows } from '../../losses/batch.js';
import { isLinearWeight } from '../../model/dense.js';
import type { ModelFolder } from '../../model/folder.js';
import { toEngineLayout } from '../../model/model.js';
import type { TensorMap } from '../../model/safetensors.js';
import type { TokenBatch } from '../../model/tokenizer.js';
import { type DropoutMasks, dropoutMasks } from './dropout-masks.js';
import { embeddingLossAndGradients } from './embedding-loss.js';
import { buildEncoderVjpGraph, feedableEncoderGraph } from './encoder-vjp.js';

/** The forward and backward sessions of one mode. */
interface Passes {
  forward: ort.InferenceSession;
  backward: ort.InferenceSession;
}

export interface OnnxTrainState {
  /** No dropout: evaluation embeddings, and steps without a seed. */
  eval: Passes;
  /** Dropout masks fed per site (the eval passes when every rate is 0). */
  train: Passes;
  dropout: DropoutSite[];
  hidden: number;
  withTokenTypes: boolean;
  /** Rows per backward run for mnrl and margin_mse: bounds the activations held at once. */
  backwardRows: number;
  /** Trainable weights by HF name in engine layout (Linear [in, out]); fed every step, so the caller updates them in place. */
  weights: TensorMap;
  executionProvider: string;
  threads: number;
  /** Free the sessions' native memory. */
  release(): Promise<void>;
}

export interface OnnxTrainOptions {
  /** Default 16. */
  backwardRows?: number;
  /** onnxruntime intra-op threads; default one per core. */
  threads?: number;
  /** onnxruntime execution provider (cpu, cuda, dml, coreml); default cpu. */
  executionProvider?: string;
  /** Write onnxruntime's profile (Chrome trace JSON) of every session into this folder when released. */
  profileDir?: string;
}

/** What a user can do when a provider does not open (the README's "GPU" section says more). */
const EP_HINTS: Record<string, string> = {
  cuda: '. onnxruntime-node downloads its CUDA 12 provider at install time on Linux x64: reinstall it without onnxruntime-node-install=skip in .npmrc, or use train.execution_provider cpu',
  dml: '. DirectML comes with onnxruntime-node on Windows only',
  coreml: '. CoreML comes with onnxruntime-node on macOS only',
};

/** Build the graphs and open their sessions once (batch and sequence axes are dynamic). */
export async function createOnnxTrainState(folder: ModelFolder, opts: OnnxTrainOptions = {}): Promise<OnnxTrainState> {
  const backwardRows = opts.backwardRows ?? 16;
  if (!Number.isInteger(backwardRows) || backwardRows < 1) throw new Error(`onnx engine: backwardRows must be a positive integer, not ${backwardRows}`);
  const threads = opts.threads ?? os.availableParallelism();
  const executionProvider = opts.executionProvider ?? 'cpu';
  const sessionOpts: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    executionProviders: [executionProvider],
    graphOptimizationLevel: 'all',
    // Off the CPU provider, a node the provider lacks must be an error now, not a silent fallback to the CPU.
    extra: executionProvider === 'cpu' ? {} : { session: { disable_cpu_ep_fallback: '1' } },
  };
  if (opts.profileDir) fs.mkdirSync(opts.profileDir, { recursive: true });
  const create = async (file: string) => {
    try {
      const profile = opts.profileDir ? { enableProfiling: true, profileFilePrefix: path.join(opts.profileDir, path.basename(file, '.onnx')) } : {};
      return await ort.InferenceSession.create(file, { ...sessionOpts, ...profile });
    } catch (e) {
      const hint = EP_HINTS[executionProvider] ?? '';
      throw new Error(`onnx engine: onnxruntime could not open the ${path.basename(file, '.onnx')} graph on the ${executionProvider} execution provider: ${(e as Error).message}${hint}`);
    }
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-onnx-'));
  try {
    const open = async (dropout: boolean) => {
      const mode = dropout ? 'train' : 'eval';
      const fwdFile = path.join(dir, `${mode}-forward.onnx`), bwdFile = path.join(dir, `${mode}-backward.onnx`);
      const forward = feedableEncoderGraph(folder, { dropout });
      writeOnnxModel(forward.graph, fwdFile);
      writeOnnxModel(buildEncoderVjpGraph(folder, { dropout }).graph, bwdFile);
      return { passes: { forward: await create(fwdFile), backward: await create(bwdFile) }, params: forward.params };
    };
    const dropout = dropoutSites(folder.config);
    const { passes: evalPasses, params } = await open(false);
    // The fed weights are exactly the graph's parameters (e.g. XLM-R's single token type row).
    const weights: TensorMap = new Map(params.map((p) => {
      const t = toEngineLayout(p.name, folder.weights.get(p.name)!);
      return [p.name, { shape: p.dims, data: Float32Array.from(t.data.subarray(0, p.dims.reduce((a, b) => a * b, 1))) }];
    }));
    const train = dropout.length > 0 ? (await open(true)).passes : evalPasses;
    const sessions = new Set([evalPasses, train].flatMap((p) => [p.forward, p.backward]));
    return {
      eval: evalPasses,
      train,
      dropout,
      hidden: folder.config.hiddenSize,
      withTokenTypes: folder.config.modelType === 'bert',
      backwardRows,
      weights,
      executionProvider,
      threads,
      release: async () => {
        for (const x of sessions) {
          if (opts.profileDir) await x.endProfiling();
          await x.release();
        }
      },
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

function tensorFeeds(m: TensorMap): Record<string, ort.Tensor> {
  return Object.fromEntries([...m].map(([name, w]) => [name, new ort.Tensor('float32', w.data, w.shape)]));
}

/** Row ranges [start, end) of `rows` in chunks of `size`. */
function chunks(rows: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < rows; start += size) out.push([start, Math.min(rows, start + size)]);
  return out;
}

/** Sentence embeddings [rows·H] of a token batch in eval mode, with the current `s.weights`. */
export async function onnxEmbed(s: OnnxTrainState, batch: TokenBatch): Promise<Float32Array> {
  const out = await s.eval.forward.run({ ...tokenFeeds(s, batch), ...tensorFeeds(s.weights) }, ['sentence_embedding']);
  return out.sentence_embedding.data as Float32Array;
}

/** `stepSeed` turns on training-mode dropout, with the tfjs engine's masks; without it, eval mode. */
export async function onnxLossAndGradients(s: OnnxTrainState, cfg: LossConfig, batch: LossBatch, stepSeed?: number): Promise<{ loss: number; grads: TensorMap }> {
  const columns = [batch.query, batch.positive, ...batch.negatives];
  const cached = cfg.name === 'cached_mnrl';
  const passes = stepSeed === undefined ? s.eval : s.train;
  const weights = tensorFeeds(s.weights);
  const H = s.hidden;
  // Masks of rows [a, b) of column c: the same in both passes (ST's RandContext) and for any chunking.
  const draw = (c: number, a: number, rows: TokenBatch): DropoutMasks => {
    const d = columnDropout(stepSeed, c, a);
    return d ? dropoutMasks(s.dropout, d, rows.batchSize, rows.seqLen) : new Map();
  };

  const embeddings: Float32Array[] = [];
  for (const [c, col] of columns.entries()) {
    const e = new Float32Array(col.batchSize * H);
    for (const [a, b] of chunks(col.batchSize, cached ? cfg.mini_batch_size : col.batchSize)) {
      const rows = sliceRows(col, a, b);
      const out = await passes.forward.run({ ...tokenFeeds(s, rows), ...weights, ...tensorFeeds(draw(c, a, rows)) }, ['sentence_embedding']);
      e.set(out.sentence_embedding.data as Float32Array, a * H);
    }
    embeddings.push(e);
  }
  const lossCfg = cached ? { ...cfg, name: 'mnrl' as const } : cfg;
  const { loss, grads: dEmb } = await embeddingLossAndGradients(lossCfg, { hidden: H, columns: embeddings }, batch.teacherMargins);

  const sums = new Map([...s.weights].map(([name, w]) => [name, new Float32Array(w.data.length)]));
  for (const [c, col] of columns.entries()) {
    for (const [a, b] of chunks(col.batchSize, cached ? cfg.mini_batch_size : s.backwardRows)) {
      const rows = sliceRows(col, a, b);
      const seed = new ort.Tensor('float32', dEmb[c].slice(a * H, b * H), [b - a, H]);
      const out = await passes.backward.run({ ...tokenFeeds(s, rows), ...weights, ...tensorFeeds(draw(c, a, rows)), d_sentence_embedding: seed });
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
