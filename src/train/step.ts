// One micro-batch's loss and weight gradients, for any training engine: embed every column with
// the engine's forward pass, take the loss and d(embeddings) on the host embeddings (the loss graph,
// src/graphs/training/embedding-loss.ts), then backpropagate each column's rows through the engine,
// which adds the weight gradients into its `grads`. The engine holds every activation of the rows
// it is given, so both passes run on chunks of about `chunkTokens` tokens; cached_mnrl (GradCache,
// Gao et al. 2021: the same loss and gradients as mnrl, activation memory bounded by
// `mini_batch_size` rows) runs them in mini-batches. With a step seed, dropout is on, and the
// backward pass of some rows redraws the masks of their forward pass (ST's RandContext).
// An engine with a step graph (onnx, within train.memory_budget) instead runs the micro-batch in
// as few parts as fit, each part's loss, forward and backward in one run (stepInParts).
import { embeddingLossAndGradients } from '../graphs/training/embedding-loss.js';
import { type LossBatch, type LossConfig, sliceRows } from '../losses/batch.js';
import type { Dropout, DropoutStep } from '../model/dropout-mask.js';
import type { TokenBatch } from '../model/tokenizer.js';
import type { TensorMap } from '../model/safetensors.js';
import type { TrainEngine } from './engine.js';
import { addGradients, zerosLike } from './host-optim.js';

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

/** Training mode draws the micro-batch's dropout masks (dropout-mask.ts); eval mode has none. */
export type StepMode = { mode: 'train'; step: DropoutStep } | { mode: 'eval' };

export type StepOptions = StepMode & {
  /** Tokens (rows × sequence length) per engine run for mnrl and margin_mse; default 2048, e.g. 16 rows of 128 tokens. */
  chunkTokens?: number;
  /** The loss is the global batch's (see RowGather). */
  gather?: RowGather;
  /**
   * Sum the weight gradients in blocks of this many rows of the batch: every column's chunks of a
   * block, then the blocks in order. That is the order N ranks x B rows with gathered rows sum in
   * (each rank its block, then MPI_Allreduce), so one process with a batch of 2B and blockRows B
   * reproduces 2 ranks to the last bit; chunks never cross a block. Default: one block.
   */
  blockRows?: number;
};

/** Row ranges [start, end) of `rows` in chunks of `size`. */
function chunks(rows: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < rows; start += size) out.push([start, Math.min(rows, start + size)]);
  return out;
}

/** The micro-batch's loss; its weight gradients are added to `engine.grads`. */
export async function accumulateStep(engine: TrainEngine, cfg: LossConfig, batch: LossBatch, opts: StepOptions): Promise<number> {
  const chunkTokens = opts.chunkTokens ?? 2048;
  if (!Number.isInteger(chunkTokens) || chunkTokens < 1) throw new Error(`training step: chunkTokens must be a positive integer, not ${chunkTokens}`);
  const columns = [batch.query, batch.positive, ...batch.negatives];
  const cached = cfg.name === 'cached_mnrl';
  const across = opts.gather;
  // Gathered across ranks, this rank's rows are rows [first, first + B) of the global batch.
  const first = across ? across.firstRow(batch.query.batchSize) : 0;
  // Masks of rows [a, b) of column c: the same in both passes and for any chunking.
  const step = opts.mode === 'train' ? opts.step : undefined;
  const dropout = (column: number, a: number) => (step ? { step, column, firstRow: first + a } : undefined);
  const blockRows = opts.blockRows ?? batch.query.batchSize;
  if (!Number.isInteger(blockRows) || blockRows < 1) throw new Error(`training step: blockRows must be a positive integer, not ${opts.blockRows}`);
  // In parts through the engine's step graph where they fit (not for GradCache, whose point is bounded memory, nor in blocks or across ranks).
  const partRows = !cached && !across && opts.blockRows === undefined ? (engine.partRows?.(columns.map((c) => c.seqLen)) ?? 0) : 0;
  if (partRows > 0) return stepInParts(engine, cfg, batch, partRows, dropout);
  // Both passes run on the same row ranges, within blocks of blockRows: mini-batches (cached_mnrl)
  // or chunks of about chunkTokens tokens.
  const slices = columns.map((col) => chunks(batch.query.batchSize, blockRows).map(([start, end]) =>
    chunks(end - start, cached ? cfg.mini_batch_size : Math.max(1, Math.floor(chunkTokens / col.seqLen))).map(([a, b]) => ({ a: start + a, b: start + b, rows: sliceRows(col, start + a, start + b) }))));
  return forwardLossBackward(engine, cfg, batch, { slices, first, dropout, across });
}

interface StepPlan {
  /** Per column, per block, the row ranges and their token batches. */
  slices: { a: number; b: number; rows: TokenBatch }[][][];
  first: number;
  dropout: (column: number, a: number) => Dropout | undefined;
  across?: RowGather;
}

/** Embed every chunk, take the loss, backpropagate every chunk block by block. */
async function forwardLossBackward(engine: TrainEngine, cfg: LossConfig, batch: LossBatch, { slices, first, dropout, across }: StepPlan): Promise<number> {
  const H = engine.hidden;
  const columnRows = [batch.query, batch.positive, ...batch.negatives].map((col) => col.batchSize);
  const embeddings = columnRows.map((rows) => new Float32Array(rows * H));
  for (const [c, e] of embeddings.entries()) {
    for (const { a, rows } of slices[c].flat()) e.set(await engine.embed(rows, dropout(c, a)), a * H);
  }
  // cached_mnrl is mnrl: caching only changes how the encoder runs.
  const lossCfg = cfg.name === 'cached_mnrl' ? { ...cfg, name: 'mnrl' as const } : cfg;
  const lossIn = across ? embeddings.map((e) => across.gather(e, H)) : embeddings;
  const { loss, grads: dAll } = await embeddingLossAndGradients(lossCfg, { hidden: H, columns: lossIn }, batch.teacherMargins);
  // The trainer averages the ranks' gradients; each holds its rows' share of the global loss's, so x ranks.
  const dEmb = across ? dAll.map((d, c) => d.slice(first * H, (first + columnRows[c]) * H).map((v) => v * across.ranks)) : dAll;
  if (!Number.isFinite(loss)) return loss; // the caller discards the step

  // The first block adds into the engine's gradients; each later block sums on its own (one buffer, reused), then adds.
  const target = engine.grads;
  let blockSums: TensorMap | undefined;
  try {
    for (let k = 0; k < slices[0].length; k++) {
      if (k > 0) {
        if (blockSums) zeroGradients(blockSums);
        engine.grads = blockSums ??= zerosLike(target);
      }
      for (const [c, blocks] of slices.entries()) {
        for (const { a, b, rows } of blocks[k]) await engine.backward(rows, dEmb[c].slice(a * H, b * H), dropout(c, a));
      }
      if (k > 0) addGradients(target, engine.grads);
    }
  } finally {
    engine.grads = target;
  }
  return loss;
}

/**
 * The micro-batch in parts of `partRows` rows, each one run of the engine's step graph: the
 * embeddings of every part but the first beforehand (forward only: the first part's loss needs
 * them), then each part's loss and weight gradients, its own embeddings computed in its run and
 * the others' fed. One part: three encoder passes, as PyTorch; k parts: 3 + (k-1)/k.
 */
async function stepInParts(engine: TrainEngine, cfg: LossConfig, batch: LossBatch, partRows: number, dropout: (column: number, a: number) => Dropout | undefined): Promise<number> {
  const columns = [batch.query, batch.positive, ...batch.negatives];
  const B = batch.query.batchSize, H = engine.hidden;
  // Parts of equal size: as few as fit, none smaller than needed (20 + 12 rows would be 16 + 16).
  const parts = chunks(B, Math.ceil(B / Math.ceil(B / partRows)));
  const embeddings = columns.map(() => new Float32Array(B * H));
  for (const [a, b] of parts.slice(1)) {
    for (const [c, col] of columns.entries()) embeddings[c].set(await engine.embed(sliceRows(col, a, b), dropout(c, a)), a * H);
  }
  let loss = NaN;
  for (const [p, [a, b]] of parts.entries()) {
    const part = { columns: columns.map((col) => sliceRows(col, a, b)), before: embeddings.map((e) => e.subarray(0, a * H)), after: embeddings.map((e) => e.subarray(b * H)) };
    const r = await engine.stepPart!(cfg, part, (c) => dropout(c, a), batch.teacherMargins);
    if (p === 0) loss = r.loss;
    if (!Number.isFinite(r.loss)) return r.loss; // the caller discards the step
    for (const [c, e] of r.embeddings.entries()) embeddings[c].set(e, a * H);
  }
  return loss;
}

/** `engine.grads` set to zero. */
export function zeroGradients(grads: TensorMap): void {
  for (const g of grads.values()) g.data.fill(0);
}

/** One micro-batch's loss and a copy of its gradients alone (the engine's gathered gradients are reset first). */
export async function lossAndGradients(engine: TrainEngine, cfg: LossConfig, batch: LossBatch, opts: StepOptions): Promise<{ loss: number; grads: TensorMap }> {
  zeroGradients(engine.grads);
  const loss = await accumulateStep(engine, cfg, batch, opts);
  const grads: TensorMap = new Map([...engine.grads].map(([n, g]) => [n, { shape: g.shape, data: g.data.slice() }]));
  zeroGradients(engine.grads);
  return { loss, grads };
}
