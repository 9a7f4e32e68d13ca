// The onnxruntime training engine's encoder passes: the forward graph and its backward graph
// (encoder-vjp.ts), built once from the model folder, with the weights fed every run from host
// arrays. `onnxEmbed` gives sentence embeddings; `onnxBackward` takes their gradient and adds the
// weight gradients into host buffers. In training mode each dropout site's mask is fed
// (dropout-masks.ts), drawn from the rows' position in their column, so a chunk of rows or a
// GradCache mini-batch redraws in the backward pass the masks of its forward pass. Within a
// memory budget, `onnxStepPart` runs a part of a micro-batch (loss, forward and backward of its
// rows) as one graph instead (step-graph.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { type DropoutSite, dropoutSites } from '../encoder-graph.js';
import type { Graph } from '../../onnx/graph-builder.js';
import { encodeOnnxModel } from '../../onnx/onnx-file.js';
import { splitBackward } from '../../onnx/split-backward.js';
import { hasTokenTypeInput } from '../../model/config.js';
import type { ModelFolder } from '../../model/folder.js';
import { toInOutLayout } from '../../model/in-out-layout.js';
import type { TensorMap } from '../../model/safetensors.js';
import type { TokenBatch } from '../../model/tokenizer.js';
import type { Dropout } from '../../model/dropout-mask.js';
import { dropoutMasks } from './dropout-masks.js';
import { fitChunkBytes, type PartBudget, partRowsWithin } from './step-memory.js';
import { buildEncoderVjpGraph, feedableEncoderGraph, WORD_ROWS_GRAD, wordEmbeddings } from './encoder-vjp.js';
import type { LossConfig } from '../../losses/batch.js';
import { buildStepGraph, columnValue } from './step-graph.js';
import { columnNames } from './loss-graph.js';

export type Mode = 'eval' | 'train';
/** forward: embeddings; backward: the weight gradients of given embedding gradients (recomputing the forward). */
export type Pass = 'forward' | 'backward';

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
  /** What a part of a micro-batch may take (undefined without a memory budget: no parts, chunks). */
  parts?: PartBudget;
  /** Milliseconds by task (benchmarks: OnnxTrainOptions.timings). */
  timings?: Map<string, number>;
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
  /** Bytes the process may peak at (train.memory_budget): micro-batches run in parts of the step graph within it; undefined: chunk by chunk. */
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
  /** The graph of a pass: the forward encoder or its recomputing backward. */
  const graphOf = (masks: boolean, pass: Pass): Graph => {
    if (pass === 'forward') return masks ? feedableEncoderGraph(folder, { dropout: true }).graph : evalForward.graph;
    return buildEncoderVjpGraph(folder, { dropout: masks }).graph;
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
  if (opts.memoryBudget !== undefined) state.parts = await partBudget(state, folder, opts.memoryBudget, open);
  return state;
}

/**
 * What a part of r rows of L tokens per column holds during its step graph's run: every forward
 * value its backward reads, measured by six probe runs of a forward graph returning them all
 * (split-backward.ts with nothing recomputed), plus its dropout masks and word-row gradients.
 */
async function partBudget(s: OnnxTrainState, folder: ModelFolder, budget: number, open: (name: string, graph: Graph) => Promise<ort.InferenceSession>): Promise<PartBudget> {
  const masks = s.dropout.length > 0;
  const split = splitBackward(feedableEncoderGraph(folder, { dropout: masks }).graph, buildEncoderVjpGraph(folder, { dropout: masks }).graph, new Set());
  const forward = await open('activation probe', split.forward);
  const probe = async (rows: number, seqLen: number) => {
    // Token 5: an ordinary token of every vocabulary (not a padding id, which shifts RoBERTa-style positions).
    const batch: TokenBatch = { inputIds: new Int32Array(rows * seqLen).fill(5), attentionMask: new Int32Array(rows * seqLen).fill(1), tokenTypeIds: new Int32Array(rows * seqLen), batchSize: rows, seqLen };
    const out = await forward.run(inputsOf(forward, { ...tokenFeeds(s, batch), ...tensorFeeds(s.weights), ...maskFeeds(s, batch, masks ? { step: { seed: 0, step: 0, micro: 0 }, column: 0 } : undefined) }));
    return split.saved.reduce((n, y) => n + (out[y].data as Float32Array).byteLength, 0);
  };
  const Ls: [number, number, number] = [8, 16, 24];
  const one = [], two = [];
  for (const L of Ls) {
    one.push(await probe(1, L));
    two.push(await probe(2, L));
  }
  await forward.release();
  const activations = fitChunkBytes(Ls, one, two);
  const maskBytes = (rows: number, L: number) => s.dropout.reduce((n, site) => n + 4 * site.dims.reduce<number>((p, d) => p * (d === 'batch' ? rows : d === 'sequence' ? L : Number(d)), 1), 0);
  const paramBytes = [...s.weights.values()].reduce((n, w) => n + 4 * w.data.length, 0);
  return { budget, paramBytes, bytes: (rows, L) => ({ activations: activations(rows, L), other: maskBytes(rows, L) + 2 * 4 * rows * L * s.hidden }) };
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

/** Sentence embeddings [rows·H] of a token batch with the current `s.weights`; with `dropout`, in training mode. */
export async function onnxEmbed(s: OnnxTrainState, rows: TokenBatch, dropout?: Dropout): Promise<Float32Array> {
  const mode: Mode = dropout ? 'train' : 'eval';
  const feeds = { ...tokenFeeds(s, rows), ...tensorFeeds(s.weights), ...maskFeeds(s, rows, dropout) };
  const session = await s.session(mode, 'forward');
  const out = await timed(s, 'forward runs', () => session.run(feeds, ['sentence_embedding']));
  return out.sentence_embedding.data as Float32Array;
}

/**
 * Adds the weight gradients of Σ embeddings ⊙ dEmbeddings ([rows, H]) to `grads` (by name, the fed
 * layout: Linear weights [in, out]); the word table's arrive as rows, added at their token ids.
 */
export async function onnxBackward(s: OnnxTrainState, rows: TokenBatch, dEmbeddings: Float32Array, dropout: Dropout | undefined, grads: TensorMap): Promise<void> {
  const mode: Mode = dropout ? 'train' : 'eval';
  const seed = new ort.Tensor('float32', dEmbeddings, [rows.batchSize, s.hidden]);
  const feeds = { ...tokenFeeds(s, rows), ...tensorFeeds(s.weights), ...maskFeeds(s, rows, dropout), d_sentence_embedding: seed };
  const session = await s.session(mode, 'backward');
  const out = await timed(s, 'backward runs', () => session.run(feeds));
  addRunGradients(s, grads, (name) => out[`d_${name}`].data as Float32Array, [[out[WORD_ROWS_GRAD].data as Float32Array, rows.inputIds]]);
}

/** Adds a run's weight gradients to `grads`: each dense `d_<name>` output, and the word table's rows (with their token ids) at those ids. */
function addRunGradients(s: OnnxTrainState, grads: TensorMap, dense: (name: string) => Float32Array, wordRows: [Float32Array, Int32Array][]): void {
  const table = grads.get(s.wordTable)!;
  timed(s, 'word-table scatter', () => {
    for (const [d, ids] of wordRows) addRowsAtIds(table.data, d, ids, s.hidden);
  });
  timed(s, 'gradient sums', () => {
    for (const [name, acc] of grads) {
      if (name === s.wordTable) continue;
      const g = dense(name);
      for (let i = 0; i < g.length; i++) acc.data[i] += g[i];
    }
  });
}

/** A part of a micro-batch (step-graph.ts): rows [a, b) of every column, and the embeddings of the batch's other rows. */
export interface StepPart {
  /** Query, positive, negatives: the part's rows. */
  columns: TokenBatch[];
  /** Per column, the embeddings [a, H] of the rows before the part and [B - b, H] of those after it. */
  before: Float32Array[];
  after: Float32Array[];
}

/**
 * One run of the step graph (step-graph.ts) on a part of a micro-batch: the batch's loss and the
 * part's embeddings; when the loss is finite, the weight gradients of the part's rows are added to
 * `grads`. `dropout(c)`: the masks of column c's part rows.
 */
export async function onnxStepPart(s: OnnxTrainState, cfg: LossConfig, part: StepPart, dropout: (column: number) => Dropout | undefined, teacherMargins: Float32Array | undefined, grads: TensorMap): Promise<{ loss: number; embeddings: Float32Array[] }> {
  const mode: Mode = dropout(0) ? 'train' : 'eval';
  const k = part.columns.length - 2;
  const session = await s.stepSession(mode, cfg, k);
  const names = columnNames(k);
  const feeds: Record<string, ort.Tensor> = tensorFeeds(s.weights);
  for (const [c, rows] of part.columns.entries()) {
    const d = dropout(c);
    const own = {
      ...tokenFeeds(s, rows),
      ...(d ? timed(s, 'dropout masks', () => tensorFeeds(dropoutMasks(s.dropout, d, rows.batchSize, rows.seqLen, (s.stepMaskBuffers[c] ??= new Map())))) : {}),
      before: new ort.Tensor('float32', part.before[c], [part.before[c].length / s.hidden, s.hidden]),
      after: new ort.Tensor('float32', part.after[c], [part.after[c].length / s.hidden, s.hidden]),
    };
    for (const [name, t] of Object.entries(own)) feeds[columnValue(names[c], name)] = t;
  }
  if (cfg.name === 'margin_mse') {
    const B = (part.before[0].length + part.after[0].length) / s.hidden + part.columns[0].batchSize;
    if (!teacherMargins || teacherMargins.length !== B * k) throw new Error(`margin_mse: ${teacherMargins?.length ?? 0} teacher margins for ${B} queries × ${k} negatives`);
    feeds.teacher_margins = new ort.Tensor('float32', teacherMargins, [B, k]);
  }
  // Gradients are written into buffers given to the run: onnxruntime-node copies outputs it allocates at a few hundred MB/s.
  s.stepGrads ??= Object.fromEntries([...s.weights].filter(([name]) => name !== s.wordTable).map(([name, w]) => [`d_${name}`, new ort.Tensor('float32', new Float32Array(w.data.length), w.shape)]));
  const fetches: Record<string, ort.Tensor | null> = { loss: null, ...s.stepGrads };
  for (const n of names) fetches[columnValue(n, WORD_ROWS_GRAD)] = fetches[columnValue(n, 'sentence_embedding')] = null;
  const out = await timed(s, 'step runs', () => session.run(inputsOf(session, feeds), fetches));
  const loss = (out.loss.data as Float32Array)[0];
  const embeddings = names.map((n) => out[columnValue(n, 'sentence_embedding')].data as Float32Array);
  if (!Number.isFinite(loss)) return { loss, embeddings }; // the caller discards the step
  const wordRows = part.columns.map((rows, c): [Float32Array, Int32Array] => [out[columnValue(names[c], WORD_ROWS_GRAD)].data as Float32Array, rows.inputIds]);
  addRunGradients(s, grads, (name) => s.stepGrads![`d_${name}`].data as Float32Array, wordRows);
  return { loss, embeddings };
}

/** Rows per part of a micro-batch whose columns have these lengths within the budget (0: none fits, or no budget). */
export function onnxPartRows(s: OnnxTrainState, seqLens: number[]): number {
  return s.parts ? partRowsWithin(s.parts, seqLens) : 0;
}

