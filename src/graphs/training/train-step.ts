// The onnxruntime training engine's encoder passes: the forward graph and its backward graph
// (encoder-vjp.ts), built once from the model folder, with the weights fed every run from host
// arrays. `onnxEmbed` gives sentence embeddings; `onnxBackward` takes their gradient and adds the
// weight gradients into host buffers. In training mode each dropout site's mask is fed
// (dropout-masks.ts), drawn from the rows' position in their column, so a chunk of rows or a
// GradCache mini-batch redraws in the backward pass the masks of its forward pass.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { type DropoutSite, dropoutSites } from '../encoder-graph.js';
import type { Graph } from '../../onnx/graph-builder.js';
import { encodeOnnxModel } from '../../onnx/onnx-file.js';
import { splitBackward, type SplitGraphs } from '../../onnx/split-backward.js';
import { hasTokenTypeInput } from '../../model/config.js';
import type { ModelFolder } from '../../model/folder.js';
import { toInOutLayout } from '../../model/in-out-layout.js';
import type { TensorMap } from '../../model/safetensors.js';
import type { TokenBatch } from '../../model/tokenizer.js';
import type { Dropout } from '../../model/dropout-mask.js';
import { dropoutMasks } from './dropout-masks.js';
import { type ActivationBudget, fitChunkBytes, fitLayout, type KeptChunk, peakResidentBytes, returnBuffers, takeBuffers, tensorBytes } from './kept-activations.js';
import { buildEncoderVjpGraph, feedableEncoderGraph, WORD_ROWS_GRAD, wordEmbeddings } from './encoder-vjp.js';
import type { LossConfig } from '../../losses/batch.js';
import { buildStepGraph, columnValue } from './step-graph.js';

export type Mode = 'eval' | 'train';
/** forward / backward: the recomputing pair; keep-forward / kept-backward: the split pair (kept-activations.ts). */
export type Pass = 'forward' | 'backward' | 'keep-forward' | 'kept-backward';

export interface OnnxTrainState {
  /**
   * The session of a pass in a mode: eval without dropout (evaluation, steps without a seed),
   * train with a mask fed per dropout site (eval's graphs when every rate is 0). Training's and
   * eval's forward are opened up front, so a provider problem shows before training; eval's
   * backward on first use (training never needs it).
   */
  session(mode: Mode, pass: Pass): Promise<ort.InferenceSession>;
  dropout: DropoutSite[];
  hidden: number;
  withTokenTypes: boolean;
  /** The graphs take prompt_length (the folder's include_prompt is false). */
  withPromptLength: boolean;
  /** The word embedding table's name, whose gradient comes as rows (WORD_ROWS_GRAD). */
  wordTable: string;
  /** Dropout mask buffers by site, reused from run to run (fresh 100 MB arrays cost more than drawing the masks). */
  maskBuffers: Map<string, Float32Array>;
  /** Trainable weights by HF name in the in-out layout (Linear [in, out]); fed every step, so the caller updates them in place. */
  weights: TensorMap;
  executionProvider: string;
  threads: number;
  /** Activations kept between passes (undefined: always recompute). */
  keep?: ActivationBudget;
  /** Milliseconds by task (benchmarks: OnnxTrainOptions.timings). */
  timings?: Map<string, number>;
  /** Names of the split forward graph's kept outputs, by mode. */
  keptNames: Map<Mode, string[]>;
  /** The step graph's session (step-graph.ts) of a mode, loss and number of negatives, opened on first use. */
  stepSession(mode: Mode, cfg: LossConfig, numNegatives: number): Promise<ort.InferenceSession>;
  /** Each column's dropout mask buffers in the step graph, reused from run to run. */
  stepMaskBuffers: Map<string, Float32Array>[];
  /** The step graph's weight gradient outputs, written in place by every run. */
  stepGrads?: Record<string, ort.Tensor>;
  /** Free the sessions' native memory. */
  release(): Promise<void>;
}

export interface OnnxTrainOptions {
  /** onnxruntime intra-op threads; default one per core. */
  threads?: number;
  /** onnxruntime execution provider (cpu, cuda, dml, coreml); default cpu. */
  executionProvider?: string;
  /** The GPU a data-parallel rank uses (its local rank); the provider's default device without it. */
  deviceId?: number;
  /** Write onnxruntime's profile (Chrome trace JSON) of every session into this folder when released. */
  profileDir?: string;
  /** Bytes the process may peak at (train.memory_budget): activations are kept below it; undefined: never kept. */
  memoryBudget?: number;
  /** Add each task's milliseconds here (dropout masks, forward and backward runs, gradient sums, the word-table scatter). */
  timings?: Map<string, number>;
}

/** What a user can do when a provider does not open (the README's "GPU" section says more). */
const EP_HINTS: Record<string, string> = {
  cuda: '. onnxruntime-node downloads its CUDA 12 provider in an install script, which this project\'s package.json (allowScripts) does not run, so npm rebuild onnxruntime-node does not either: run ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js (CUDA 12, cuDNN 9), or use train.execution_provider cpu',
  dml: '. DirectML comes with onnxruntime-node on Windows only',
  coreml: '. CoreML comes with onnxruntime-node on macOS only',
};

/** Build the graphs and open their sessions once (batch and sequence axes are dynamic). */
/** The session's provider entry: a device id only for the GPU providers that take one. */
export function providerConfig(name: string, deviceId?: number): string | { name: 'cuda' | 'dml'; deviceId: number } {
  return deviceId !== undefined && (name === 'cuda' || name === 'dml') ? { name, deviceId } : name;
}

export async function createOnnxTrainState(folder: ModelFolder, opts: OnnxTrainOptions = {}): Promise<OnnxTrainState> {
  const threads = opts.threads ?? os.availableParallelism();
  const executionProvider = opts.executionProvider ?? 'cpu';
  const sessionOpts: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    executionProviders: [providerConfig(executionProvider, opts.deviceId)],
    graphOptimizationLevel: 'all',
    // Memory patterns are planned per input shape; chunk shapes change every run, and the plans
    // kept for each grew peak RSS from 2.1 to 4.4 GB on the MiniLM benchmark (no speed lost without).
    enableMemPattern: false,
    // Off the CPU provider, a node the provider lacks must be an error now, not a silent fallback to the CPU.
    extra: executionProvider === 'cpu' ? {} : { session: { disable_cpu_ep_fallback: '1' } },
  };
  if (opts.profileDir) fs.mkdirSync(opts.profileDir, { recursive: true });
  const open = async (name: string, graph: Graph) => {
    try {
      const profile = opts.profileDir ? { enableProfiling: true, profileFilePrefix: path.join(opts.profileDir, name) } : {};
      return await ort.InferenceSession.create(encodeOnnxModel(graph, folder.dir), { ...sessionOpts, ...profile });
    } catch (e) {
      const hint = EP_HINTS[executionProvider] ?? '';
      throw new Error(`onnx engine: onnxruntime could not open the ${name} graph on the ${executionProvider} execution provider: ${(e as Error).message}${hint}`);
    }
  };
  const dropout = dropoutSites(folder.config);
  const evalForward = feedableEncoderGraph(folder);
  const opened = new Map<string, Promise<ort.InferenceSession>>();
  const keptNames = new Map<Mode, string[]>();
  /** The graph of a pass: the forward encoder, its recomputing backward, or the split pair. */
  // The split pair of a mode, built once for both of its sessions.
  const splits = new Map<boolean, SplitGraphs>();
  const graphOf = (masks: boolean, pass: Pass): Graph => {
    if (pass === 'forward') return masks ? feedableEncoderGraph(folder, { dropout: true }).graph : evalForward.graph;
    if (pass === 'backward') return buildEncoderVjpGraph(folder, { dropout: masks }).graph;
    let split = splits.get(masks);
    if (!split) {
      split = splitBackward(feedableEncoderGraph(folder, { dropout: masks }).graph, buildEncoderVjpGraph(folder, { dropout: masks }).graph);
      splits.set(masks, split);
      keptNames.set(masks ? 'train' : 'eval', split.saved);
    }
    return pass === 'keep-forward' ? split.forward : split.backward;
  };
  const session = (mode: Mode, pass: Pass) => {
    const masks = mode === 'train' && dropout.length > 0;
    const name = `${masks ? 'train' : 'eval'}-${pass}`;
    let s = opened.get(name);
    if (!s) opened.set(name, (s = open(name, graphOf(masks, pass))));
    return s;
  };
  await Promise.all([session('eval', 'forward'), session('train', 'forward'), session('train', 'backward')]);
  // The fed weights are exactly the graph's parameters (e.g. XLM-R's single token type row).
  const weights: TensorMap = new Map(evalForward.params.map((p) => {
    const t = toInOutLayout(p.name, folder.weights.get(p.name)!);
    return [p.name, { shape: p.dims, data: Float32Array.from(t.data.subarray(0, p.dims.reduce((a, b) => a * b, 1))) }];
  }));
  const stepSession = (mode: Mode, cfg: LossConfig, numNegatives: number) => {
    const masks = mode === 'train' && dropout.length > 0;
    const loss = cfg.name === 'margin_mse' ? `margin_mse` : `mnrl-${cfg.scale}-${cfg.symmetric}`;
    const name = `${masks ? 'train' : 'eval'}-step-${loss}-${numNegatives}`;
    let s = opened.get(name);
    if (!s) opened.set(name, (s = open(name, buildStepGraph(folder, cfg, numNegatives, { dropout: masks }).graph)));
    return s;
  };
  const state: OnnxTrainState = {
    session,
    stepSession,
    stepMaskBuffers: [],
    keptNames,
    dropout,
    hidden: folder.config.hiddenSize,
    withTokenTypes: hasTokenTypeInput(folder.config),
    withPromptLength: !folder.includePrompt,
    wordTable: wordEmbeddings(folder.config),
    maskBuffers: new Map(),
    weights,
    executionProvider,
    threads,
    timings: opts.timings,
    release: async () => {
      for (const x of await Promise.all(opened.values())) {
        if (opts.profileDir) await x.endProfiling();
        await x.release();
      }
    },
  };
  if (opts.memoryBudget !== undefined) state.keep = await activationBudget(state, opts.memoryBudget);
  return state;
}

/** Open the split sessions and measure what a chunk keeps: six probe runs of a few tokens (kept-activations.ts). */
async function activationBudget(s: OnnxTrainState, budget: number): Promise<ActivationBudget> {
  const mode: Mode = 'train';
  const forward = await s.session(mode, 'keep-forward');
  await s.session(mode, 'kept-backward');
  const names = s.keptNames.get(s.dropout.length > 0 ? 'train' : 'eval')!;
  const probe = async (rows: number, seqLen: number) => {
    // Token 5: an ordinary token of every vocabulary (not a padding id, which shifts RoBERTa-style positions).
    const ids = new Int32Array(rows * seqLen).fill(5);
    const batch: TokenBatch = { inputIds: ids, attentionMask: new Int32Array(rows * seqLen).fill(1), tokenTypeIds: new Int32Array(rows * seqLen), batchSize: rows, seqLen };
    const masks = s.dropout.length > 0 ? maskFeeds(s, batch, { step: { seed: 0, step: 0, micro: 0 }, column: 0 }) : {};
    const out = await forward.run(inputsOf(forward, { ...tokenFeeds(s, batch), ...tensorFeeds(s.weights), ...masks }));
    return { bytes: tensorBytes(out, names), dims: new Map(names.map((n) => [n, out[n].dims])) };
  };
  const Ls: [number, number, number] = [8, 16, 24];
  const one = [], two = [];
  for (const l of Ls) {
    one.push(await probe(1, l));
    two.push(await probe(2, l));
  }
  const bytes = fitChunkBytes(Ls, one.map((p) => p.bytes), two.map((p) => p.bytes));
  const layout = fitLayout(Ls[0], one[0].dims, two[0].dims, one[1].dims);
  // Nothing fits a budget the process already exceeds; otherwise the allowance waits for calibrateKept.
  const openBytes = process.memoryUsage.rss();
  return { budget, openBytes, allowance: 0, calibrated: budget <= openBytes, bytes, held: new Map(), heldBytes: 0, pool: { layout, free: new Map(), freeBytes: 0 } };
}

/**
 * After the first optimizer step, which kept nothing: what kept activations may use is the budget
 * less the peak so far and less the split sessions' working memory.
 */
export function calibrateKept(s: OnnxTrainState): void {
  const keep = s.keep;
  if (!keep || keep.calibrated) return;
  const peak = peakResidentBytes();
  // The split sessions' working memory comes on top of the recomputing ones' (each session has an
  // arena of its own): as much as the first step added to what the process held at open, at most.
  keep.allowance = Math.max(0, keep.budget - peak - (peak - keep.openBytes));
  keep.calibrated = true;
}

/** The feeds a session declares (the split graphs read only some of the inputs). */
function inputsOf(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  return Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]]));
}

function tokenFeeds(s: OnnxTrainState, b: TokenBatch): Record<string, ort.Tensor> {
  const t = (a: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(a, BigInt), [b.batchSize, b.seqLen]);
  const f: Record<string, ort.Tensor> = { input_ids: t(b.inputIds), attention_mask: t(b.attentionMask) };
  if (s.withTokenTypes) f.token_type_ids = t(b.tokenTypeIds);
  if (s.withPromptLength) f.prompt_length = new ort.Tensor('int64', new BigInt64Array(b.batchSize).fill(BigInt(b.promptLength ?? 0)), [b.batchSize]);
  return f;
}

function tensorFeeds(m: TensorMap): Record<string, ort.Tensor> {
  return Object.fromEntries([...m].map(([name, w]) => [name, new ort.Tensor('float32', w.data, w.shape)]));
}

/** The word table's gradient += each token's row of `d` at its id (Gather's VJP, on the host: see WORD_ROWS_GRAD). */
function addRowsAtIds(table: Float32Array, d: Float32Array, ids: Int32Array, H: number): void {
  for (let t = 0; t < ids.length; t++) {
    const at = ids[t] * H;
    for (let h = 0; h < H; h++) table[at + h] += d[t * H + h];
  }
}

/** The masks of a run: none in eval mode. */
function maskFeeds(s: OnnxTrainState, rows: TokenBatch, d: Dropout | undefined): Record<string, ort.Tensor> {
  return d ? timed(s, 'dropout masks', () => tensorFeeds(dropoutMasks(s.dropout, d, rows.batchSize, rows.seqLen, s.maskBuffers))) : {};
}

/** `f()`, its milliseconds added to `task` when the state keeps timings. */
function timed<T>(s: OnnxTrainState, task: string, f: () => T): T {
  if (!s.timings) return f();
  const t0 = performance.now();
  const r = f();
  const add = () => s.timings!.set(task, (s.timings!.get(task) ?? 0) + performance.now() - t0);
  if (r instanceof Promise) return r.finally(add) as T;
  add();
  return r;
}

/**
 * Sentence embeddings [rows·H] of a token batch with the current `s.weights`; with `dropout`, in
 * training mode. `forBackward`: backward(rows) follows, so keep what it needs if the budget allows.
 */
export async function onnxEmbed(s: OnnxTrainState, rows: TokenBatch, dropout?: Dropout, forBackward = false): Promise<Float32Array> {
  const mode: Mode = dropout ? 'train' : 'eval';
  const feeds = { ...tokenFeeds(s, rows), ...tensorFeeds(s.weights), ...maskFeeds(s, rows, dropout) };
  const keep = s.keep;
  // Room for this chunk's activations beside those held, and the free buffers kept for reuse.
  if (forBackward && keep && keep.heldBytes + keep.pool.freeBytes + keep.bytes(rows.batchSize, rows.seqLen) <= keep.allowance) {
    const session = await s.session(mode, 'keep-forward');
    const names = s.keptNames.get(s.dropout.length > 0 ? mode : 'eval')!;
    const shape = `${rows.batchSize}x${rows.seqLen}`;
    const buffers = takeBuffers(keep.pool, rows.batchSize, rows.seqLen);
    const out = await timed(s, 'forward runs (keeping)', () => session.run(inputsOf(session, feeds), { sentence_embedding: null, ...buffers }));
    const chunk: KeptChunk = { shape, tensors: buffers, bytes: tensorBytes(buffers, names) };
    keep.held.set(rows, chunk);
    keep.heldBytes += chunk.bytes;
    return out.sentence_embedding.data as Float32Array;
  }
  const session = await s.session(mode, 'forward');
  const out = await timed(s, 'forward runs', () => session.run(feeds, ['sentence_embedding']));
  return out.sentence_embedding.data as Float32Array;
}

/** Drop the activations kept for backward passes that will not run (a step that ended early). */
export function forgetKept(s: OnnxTrainState): void {
  const keep = s.keep;
  if (!keep) return;
  for (const chunk of keep.held.values()) {
    keep.heldBytes -= chunk.bytes;
    returnBuffers(keep.pool, chunk.shape, chunk.tensors, keep.allowance - keep.heldBytes);
  }
  keep.held.clear();
}

/**
 * Adds the weight gradients of Σ embeddings ⊙ dEmbeddings ([rows, H]) to `grads` (by name, the fed
 * layout: Linear weights [in, out]); the word table's arrive as rows, added at their token ids.
 */
export async function onnxBackward(s: OnnxTrainState, rows: TokenBatch, dEmbeddings: Float32Array, dropout: Dropout | undefined, grads: TensorMap): Promise<void> {
  const mode: Mode = dropout ? 'train' : 'eval';
  const kept = s.keep?.held.get(rows);
  const seed = new ort.Tensor('float32', dEmbeddings, [rows.batchSize, s.hidden]);
  const feeds = { ...tokenFeeds(s, rows), ...tensorFeeds(s.weights), ...maskFeeds(s, rows, dropout), d_sentence_embedding: seed };
  let out: ort.InferenceSession.ReturnType;
  if (kept) {
    s.keep!.held.delete(rows);
    s.keep!.heldBytes -= kept.bytes;
    const session = await s.session(mode, 'kept-backward');
    out = await timed(s, 'backward runs (kept)', () => session.run(inputsOf(session, { ...feeds, ...kept.tensors })));
    returnBuffers(s.keep!.pool, kept.shape, kept.tensors, s.keep!.allowance - s.keep!.heldBytes);
  } else {
    const session = await s.session(mode, 'backward');
    out = await timed(s, 'backward runs (recomputing)', () => session.run(feeds));
  }
  const table = grads.get(s.wordTable)!;
  timed(s, 'word-table scatter', () => addRowsAtIds(table.data, out[WORD_ROWS_GRAD].data as Float32Array, rows.inputIds, s.hidden));
  timed(s, 'gradient sums', () => {
    for (const [name, acc] of grads) {
      if (name === s.wordTable) continue;
      const g = out[`d_${name}`].data as Float32Array;
      for (let i = 0; i < g.length; i++) acc.data[i] += g[i];
    }
  });
}

/**
 * A whole micro-batch in one run of the step graph (step-graph.ts): returns the loss and, when it
 * is finite, adds the weight gradients to `grads`. `columns`: query, positive, negatives (B rows
 * each); `dropout(c)`: column c's masks (rows from 0).
 */
export async function onnxStep(s: OnnxTrainState, cfg: LossConfig, columns: TokenBatch[], dropout: (column: number) => Dropout | undefined, teacherMargins: Float32Array | undefined, grads: TensorMap): Promise<number> {
  const mode: Mode = dropout(0) ? 'train' : 'eval';
  const session = await s.stepSession(mode, cfg, columns.length - 2);
  const names = ['query', 'positive', ...columns.slice(2).map((_, j) => `negative_${j}`)];
  const feeds: Record<string, ort.Tensor> = tensorFeeds(s.weights);
  for (const [c, rows] of columns.entries()) {
    const d = dropout(c);
    const own = { ...tokenFeeds(s, rows), ...(d ? timed(s, 'dropout masks', () => tensorFeeds(dropoutMasks(s.dropout, d, rows.batchSize, rows.seqLen, (s.stepMaskBuffers[c] ??= new Map())))) : {}) };
    for (const [name, t] of Object.entries(own)) feeds[columnValue(names[c], name)] = t;
  }
  if (cfg.name === 'margin_mse') {
    const k = columns.length - 2;
    if (!teacherMargins || teacherMargins.length !== columns[0].batchSize * k) throw new Error(`margin_mse: ${teacherMargins?.length ?? 0} teacher margins for ${columns[0].batchSize} queries × ${k} negatives`);
    feeds.teacher_margins = new ort.Tensor('float32', teacherMargins, [columns[0].batchSize, k]);
  }
  // Gradients are written into buffers given to the run: onnxruntime-node copies outputs it allocates at a few hundred MB/s.
  s.stepGrads ??= Object.fromEntries([...s.weights].filter(([name]) => name !== s.wordTable).map(([name, w]) => [`d_${name}`, new ort.Tensor('float32', new Float32Array(w.data.length), w.shape)]));
  const fetches: Record<string, ort.Tensor | null> = { loss: null, ...s.stepGrads };
  for (const n of names) fetches[columnValue(n, WORD_ROWS_GRAD)] = null;
  const out = await timed(s, 'step runs', () => session.run(inputsOf(session, feeds), fetches));
  const loss = (out.loss.data as Float32Array)[0];
  if (!Number.isFinite(loss)) return loss; // the caller discards the step
  const table = grads.get(s.wordTable)!;
  timed(s, 'word-table scatter', () => {
    for (const [c, rows] of columns.entries()) addRowsAtIds(table.data, out[columnValue(names[c], WORD_ROWS_GRAD)].data as Float32Array, rows.inputIds, s.hidden);
  });
  timed(s, 'gradient sums', () => {
    for (const [name, acc] of grads) {
      if (name === s.wordTable) continue;
      const g = s.stepGrads![`d_${name}`].data as Float32Array;
      for (let i = 0; i < g.length; i++) acc.data[i] += g[i];
    }
  });
  return loss;
}
