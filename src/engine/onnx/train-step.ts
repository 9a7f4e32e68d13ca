// One training step's loss and gradients on onnxruntime: embed every column with the forward
// encoder, take the loss and d(embeddings) on the host (embedding-loss.ts), then run the encoder's
// backward graph per column and sum the weight gradients. Same semantics as the tfjs
// `lossAndGradients` (src/train/gradients.ts), dropout included: with a step seed, both engines
// draw the same masks (dropout-masks.ts), and the backward pass of some rows redraws the masks of
// their forward pass. The backward session holds every activation of the rows it is given, so
// both passes run on chunks of about `chunkTokens` tokens; cached_mnrl (GradCache) runs them in
// mini-batches of `mini_batch_size` rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { type DropoutSite, dropoutSites } from '../encoder-graph.js';
import type { Graph } from '../../onnx/graph-builder.js';
import { writeOnnxModel } from '../../onnx/onnx-file.js';
import { columnDropout, type LossBatch, type LossConfig, sliceRows } from '../../losses/batch.js';
import { hasTokenTypeInput } from '../../model/config.js';
import type { ModelFolder } from '../../model/folder.js';
import { toEngineLayout } from '../../model/model.js';
import type { TensorMap } from '../../model/safetensors.js';
import type { TokenBatch } from '../../model/tokenizer.js';
import { type DropoutMasks, dropoutMasks } from './dropout-masks.js';
import { embeddingLossAndGradients } from './embedding-loss.js';
import { buildEncoderVjpGraph, feedableEncoderGraph, WORD_ROWS_GRAD, wordEmbeddings } from './encoder-vjp.js';

export type Mode = 'eval' | 'train';
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
  /** Tokens (rows × sequence length) per run for mnrl and margin_mse: bounds the activations held at once. */
  chunkTokens: number;
  /** Rows per gradient block (OnnxTrainOptions.blockRows); undefined: the whole batch is one block. */
  blockRows?: number;
  /** Dropout mask buffers by site, reused from run to run (fresh 100 MB arrays cost more than drawing the masks). */
  maskBuffers: Map<string, Float32Array>;
  /** Trainable weights by HF name in engine layout (Linear [in, out]); fed every step, so the caller updates them in place. */
  weights: TensorMap;
  executionProvider: string;
  threads: number;
  /** Free the sessions' native memory. */
  release(): Promise<void>;
}

export interface OnnxTrainOptions {
  /** Tokens per run (mnrl, margin_mse); default 2048, e.g. 16 rows of 128 tokens. */
  chunkTokens?: number;
  /** onnxruntime intra-op threads; default one per core. */
  threads?: number;
  /** onnxruntime execution provider (cpu, cuda, dml, coreml); default cpu. */
  executionProvider?: string;
  /** The GPU a data-parallel rank uses (its local rank); the provider's default device without it. */
  deviceId?: number;
  /** Write onnxruntime's profile (Chrome trace JSON) of every session into this folder when released. */
  profileDir?: string;
  /**
   * Sum the weight gradients in blocks of this many rows of the batch: every column's chunks of a
   * block, then the blocks in order. That is the order N ranks x B rows with gathered rows sum in
   * (each rank its block, then MPI_Allreduce), so one process with a batch of 2B and blockRows B
   * reproduces 2 ranks to the last bit; chunks never cross a block. Default: one block.
   */
  blockRows?: number;
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
  const chunkTokens = opts.chunkTokens ?? 2048;
  if (!Number.isInteger(chunkTokens) || chunkTokens < 1) throw new Error(`onnx engine: chunkTokens must be a positive integer, not ${chunkTokens}`);
  const blockRows = opts.blockRows;
  if (blockRows !== undefined && (!Number.isInteger(blockRows) || blockRows < 1)) throw new Error(`onnx engine: blockRows must be a positive integer, not ${blockRows}`);
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
  const create = async (file: string) => {
    try {
      const profile = opts.profileDir ? { enableProfiling: true, profileFilePrefix: path.join(opts.profileDir, path.basename(file, '.onnx')) } : {};
      return await ort.InferenceSession.create(file, { ...sessionOpts, ...profile });
    } catch (e) {
      const hint = EP_HINTS[executionProvider] ?? '';
      throw new Error(`onnx engine: onnxruntime could not open the ${path.basename(file, '.onnx')} graph on the ${executionProvider} execution provider: ${(e as Error).message}${hint}`);
    }
  };
  const open = async (name: string, graph: Graph) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-onnx-'));
    try {
      const file = path.join(dir, `${name}.onnx`);
      writeOnnxModel(graph, file);
      return await create(file);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const dropout = dropoutSites(folder.config);
  const evalForward = feedableEncoderGraph(folder);
  const opened = new Map<string, Promise<ort.InferenceSession>>();
  const session = (mode: Mode, pass: Pass) => {
    const masks = mode === 'train' && dropout.length > 0;
    const name = `${masks ? 'train' : 'eval'}-${pass}`;
    let s = opened.get(name);
    if (!s) {
      const graph = pass === 'backward' ? buildEncoderVjpGraph(folder, { dropout: masks }).graph : masks ? feedableEncoderGraph(folder, { dropout: true }).graph : evalForward.graph;
      opened.set(name, (s = open(name, graph)));
    }
    return s;
  };
  await Promise.all([session('eval', 'forward'), session('train', 'forward'), session('train', 'backward')]);
  // The fed weights are exactly the graph's parameters (e.g. XLM-R's single token type row).
  const weights: TensorMap = new Map(evalForward.params.map((p) => {
    const t = toEngineLayout(p.name, folder.weights.get(p.name)!);
    return [p.name, { shape: p.dims, data: Float32Array.from(t.data.subarray(0, p.dims.reduce((a, b) => a * b, 1))) }];
  }));
  return {
    session,
    dropout,
    hidden: folder.config.hiddenSize,
    withTokenTypes: hasTokenTypeInput(folder.config),
    withPromptLength: !folder.includePrompt,
    wordTable: wordEmbeddings(folder.config),
    chunkTokens,
    blockRows,
    maskBuffers: new Map(),
    weights,
    executionProvider,
    threads,
    release: async () => {
      for (const x of await Promise.all(opened.values())) {
        if (opts.profileDir) await x.endProfiling();
        await x.release();
      }
    },
  };
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

/** Row ranges [start, end) of `rows` in chunks of `size`. */
function chunks(rows: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < rows; start += size) out.push([start, Math.min(rows, start + size)]);
  return out;
}

/** sums[name] += g; the first `g` of a name becomes its sum. */
function addInto(sums: Map<string, Float32Array>, name: string, g: Float32Array): void {
  const acc = sums.get(name);
  if (!acc) sums.set(name, g);
  else for (let i = 0; i < g.length; i++) acc[i] += g[i];
}

/** The word table's gradient += each token's row of `d` at its id (Gather's VJP, on the host: see WORD_ROWS_GRAD). */
function addRowsAtIds(sums: Map<string, Float32Array>, name: string, tableSize: number, d: Float32Array, ids: Int32Array, H: number): void {
  let table = sums.get(name);
  if (!table) sums.set(name, (table = new Float32Array(tableSize)));
  for (let t = 0; t < ids.length; t++) {
    const at = ids[t] * H;
    for (let h = 0; h < H; h++) table[at + h] += d[t * H + h];
  }
}

/** Sentence embeddings [rows·H] of a token batch in eval mode, with the current `s.weights`. */
export async function onnxEmbed(s: OnnxTrainState, batch: TokenBatch): Promise<Float32Array> {
  const out = await (await s.session('eval', 'forward')).run({ ...tokenFeeds(s, batch), ...tensorFeeds(s.weights) }, ['sentence_embedding']);
  return out.sentence_embedding.data as Float32Array;
}

/**
 * Data-parallel ranks' rows (loss.gather_across_devices): the loss scores every rank's rows, and
 * each rank's weight gradients come from its own rows only.
 */
export interface RowGather {
  /** Ranks whose gradients the trainer sums and averages. */
  ranks: number;
  /** Where this rank's rows start in the global batch (every rank calls it with its row count). */
  firstRow(rows: number): number;
  /** Every column's padded length in the global batch (the ranks' longest), given this rank's: see padRows. */
  seqLens(mine: number[]): number[];
  /** Every rank's rows [n_r x width], concatenated in rank order. */
  gather(rows: Float32Array, width: number): Float32Array;
}

/**
 * `stepSeed` turns on training-mode dropout, with the tfjs engine's masks; without it, eval mode.
 * `across`: the loss is the global batch's (see RowGather).
 */
export async function onnxLossAndGradients(s: OnnxTrainState, cfg: LossConfig, batch: LossBatch, stepSeed?: number, across?: RowGather): Promise<{ loss: number; grads: TensorMap }> {
  const columns = [batch.query, batch.positive, ...batch.negatives];
  const cached = cfg.name === 'cached_mnrl';
  const mode: Mode = stepSeed === undefined ? 'eval' : 'train';
  const forward = await s.session(mode, 'forward'), backward = await s.session(mode, 'backward');
  const weights = tensorFeeds(s.weights);
  const H = s.hidden;
  // Gathered across ranks, this rank's rows are rows [first, first + B) of the global batch.
  const first = across ? across.firstRow(batch.query.batchSize) : 0;
  // Masks of rows [a, b) of column c: the same in both passes (ST's RandContext) and for any chunking.
  const draw = (c: number, a: number, rows: TokenBatch): DropoutMasks => {
    const d = columnDropout(stepSeed, c, first + a);
    return d ? dropoutMasks(s.dropout, d, rows.batchSize, rows.seqLen, s.maskBuffers) : new Map();
  };
  // Both passes run on the same row ranges: mini-batches (cached_mnrl) or chunks of about chunkTokens tokens, within blocks of blockRows.
  const blocks = chunks(batch.query.batchSize, s.blockRows ?? batch.query.batchSize);
  const units = columns.map((col) => blocks.map(([start, end]) =>
    chunks(end - start, cached ? cfg.mini_batch_size : Math.max(1, Math.floor(s.chunkTokens / col.seqLen))).map(([a, b]): [number, number] => [start + a, start + b])));

  const embeddings: Float32Array[] = [];
  for (const [c, col] of columns.entries()) {
    const e = new Float32Array(col.batchSize * H);
    for (const [a, b] of units[c].flat()) {
      const rows = sliceRows(col, a, b);
      const out = await forward.run({ ...tokenFeeds(s, rows), ...weights, ...tensorFeeds(draw(c, a, rows)) }, ['sentence_embedding']);
      e.set(out.sentence_embedding.data as Float32Array, a * H);
    }
    embeddings.push(e);
  }
  const lossCfg = cached ? { ...cfg, name: 'mnrl' as const } : cfg;
  const lossIn = across ? embeddings.map((e) => across.gather(e, H)) : embeddings;
  const { loss, grads: dAll } = await embeddingLossAndGradients(lossCfg, { hidden: H, columns: lossIn }, batch.teacherMargins);
  // The trainer averages the ranks' gradients; each holds its rows' share of the global loss's, so x ranks.
  const dEmb = across ? dAll.map((d, c) => d.slice(first * H, (first + columns[c].batchSize) * H).map((v) => v * across.ranks)) : dAll;

  // Per block, the first run's gradients become the sums and later runs add into them; then the blocks add up in order.
  let sums: Map<string, Float32Array> | undefined;
  for (let k = 0; k < blocks.length; k++) {
    const block = new Map<string, Float32Array>();
    for (const [c, col] of columns.entries()) {
      for (const [a, b] of units[c][k]) {
        const rows = sliceRows(col, a, b);
        const seed = new ort.Tensor('float32', dEmb[c].slice(a * H, b * H), [b - a, H]);
        const out = await backward.run({ ...tokenFeeds(s, rows), ...weights, ...tensorFeeds(draw(c, a, rows)), d_sentence_embedding: seed });
        for (const name of s.weights.keys()) {
          if (name === s.wordTable) continue;
          addInto(block, name, out[`d_${name}`].data as Float32Array);
        }
        addRowsAtIds(block, s.wordTable, s.weights.get(s.wordTable)!.data.length, out[WORD_ROWS_GRAD].data as Float32Array, rows.inputIds, H);
      }
    }
    if (!sums) sums = block;
    else for (const [name, g] of block) addInto(sums, name, g);
  }
  // The graph's gradients come in the fed (engine) layout, Linear weights [in, out].
  const grads: TensorMap = new Map([...sums!].map(([name, data]) => [name, { shape: s.weights.get(name)!.shape, data }]));
  return { loss, grads };
}
