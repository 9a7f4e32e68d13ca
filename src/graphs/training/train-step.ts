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
import { writeOnnxModel } from '../../onnx/onnx-file.js';
import { hasTokenTypeInput } from '../../model/config.js';
import type { ModelFolder } from '../../model/folder.js';
import { toInOutLayout } from '../../model/in-out-layout.js';
import type { TensorMap } from '../../model/safetensors.js';
import type { TokenBatch } from '../../model/tokenizer.js';
import type { Dropout } from '../../model/dropout-mask.js';
import { dropoutMasks } from './dropout-masks.js';
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
  /** Dropout mask buffers by site, reused from run to run (fresh 100 MB arrays cost more than drawing the masks). */
  maskBuffers: Map<string, Float32Array>;
  /** Trainable weights by HF name in the in-out layout (Linear [in, out]); fed every step, so the caller updates them in place. */
  weights: TensorMap;
  executionProvider: string;
  threads: number;
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
    const t = toInOutLayout(p.name, folder.weights.get(p.name)!);
    return [p.name, { shape: p.dims, data: Float32Array.from(t.data.subarray(0, p.dims.reduce((a, b) => a * b, 1))) }];
  }));
  return {
    session,
    dropout,
    hidden: folder.config.hiddenSize,
    withTokenTypes: hasTokenTypeInput(folder.config),
    withPromptLength: !folder.includePrompt,
    wordTable: wordEmbeddings(folder.config),
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

/** The word table's gradient += each token's row of `d` at its id (Gather's VJP, on the host: see WORD_ROWS_GRAD). */
function addRowsAtIds(table: Float32Array, d: Float32Array, ids: Int32Array, H: number): void {
  for (let t = 0; t < ids.length; t++) {
    const at = ids[t] * H;
    for (let h = 0; h < H; h++) table[at + h] += d[t * H + h];
  }
}

/** The masks of a run: none in eval mode. */
function maskFeeds(s: OnnxTrainState, rows: TokenBatch, d: Dropout | undefined): Record<string, ort.Tensor> {
  return d ? tensorFeeds(dropoutMasks(s.dropout, d, rows.batchSize, rows.seqLen, s.maskBuffers)) : {};
}

/** Sentence embeddings [rows·H] of a token batch with the current `s.weights`; with `dropout`, in training mode. */
export async function onnxEmbed(s: OnnxTrainState, rows: TokenBatch, dropout?: Dropout): Promise<Float32Array> {
  const session = await s.session(dropout ? 'train' : 'eval', 'forward');
  const out = await session.run({ ...tokenFeeds(s, rows), ...tensorFeeds(s.weights), ...maskFeeds(s, rows, dropout) }, ['sentence_embedding']);
  return out.sentence_embedding.data as Float32Array;
}

/**
 * Adds the weight gradients of Σ embeddings ⊙ dEmbeddings ([rows, H]) to `grads` (by name, the fed
 * layout: Linear weights [in, out]); the word table's arrive as rows, added at their token ids.
 */
export async function onnxBackward(s: OnnxTrainState, rows: TokenBatch, dEmbeddings: Float32Array, dropout: Dropout | undefined, grads: TensorMap): Promise<void> {
  const session = await s.session(dropout ? 'train' : 'eval', 'backward');
  const seed = new ort.Tensor('float32', dEmbeddings, [rows.batchSize, s.hidden]);
  const out = await session.run({ ...tokenFeeds(s, rows), ...tensorFeeds(s.weights), ...maskFeeds(s, rows, dropout), d_sentence_embedding: seed });
  for (const [name, acc] of grads) {
    if (name === s.wordTable) addRowsAtIds(acc.data, out[WORD_ROWS_GRAD].data as Float32Array, rows.inputIds, s.hidden);
    else {
      const g = out[`d_${name}`].data as Float32Array;
      for (let i = 0; i < g.length; i++) acc.data[i] += g[i];
    }
  }
}
