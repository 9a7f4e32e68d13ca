// Activations kept from a chunk's forward pass for its backward pass, within a memory budget.
//
// The backward graph (encoder-vjp.ts) runs the forward nodes again before differentiating them:
// four encoder passes per training step where PyTorch makes three. With room to spare, a chunk's
// forward instead runs the split forward graph (src/onnx/split-backward.ts), which also returns
// the outputs of its costly ops; the chunk's backward then runs the split backward graph on them.
// Both compute what the recomputing graph computes, so a run is the same whichever path a chunk takes
// (to float32 rounding: onnxruntime fuses kernels differently in the two graphs).
//
// How much a chunk keeps is measured, not guessed: every kept tensor is [rows, ...] with a length
// axis or two (attention scores) or none (pooled rows), or shared by the rows ([L, H] positions),
// so a chunk of r rows of L tokens keeps
//   bytes(r, L) = r·(αL² + βL + ε) + δL + γ
// and six tiny probe runs at open (1 and 2 rows of three lengths) fix the five numbers.
//
// What a run needs besides kept activations (weights, gradients, AdamW's moments, the data
// pipeline, onnxruntime's working memory for one chunk's recomputing backward pass) is measured
// too: the first optimizer step keeps nothing, and the allowance is the budget less the process's
// peak resident set after it and less that step's growth over the resident set at open again (the
// split sessions' working memory, each onnxruntime session having an arena of its own). So a run peaks below its budget; and a resumed run, whose first step
// also keeps nothing, agrees with an uninterrupted one to float32 rounding, not bit for bit.
import fs from 'node:fs';
import * as ort from 'onnxruntime-node';

export interface KeptChunk {
  /** "rows x length", the output pool's key. */
  shape: string;
  tensors: Record<string, ort.Tensor>;
  bytes: number;
}

/**
 * Output buffers of the keeping forward pass by chunk shape ("rows x length"), reused once their
 * backward pass is done. Every run writes into buffers given to it: an output onnxruntime-node
 * allocates itself is copied into fresh JavaScript memory at a few hundred MB/s, and the runtime's
 * arena keeps the first copy (twice the bytes, for good).
 */
export interface OutputPool {
  /** Each kept output's dims for a chunk of `rows` rows of `seqLen` tokens (from the probe runs). */
  layout: (rows: number, seqLen: number) => { name: string; dims: number[] }[];
  /** Buffer sets free for reuse, by chunk shape. */
  free: Map<string, Record<string, ort.Tensor>[]>;
  /** Bytes in free sets. */
  freeBytes: number;
}

export interface ActivationBudget {
  /** train.memory_budget in bytes. */
  budget: number;
  /** The resident set once the sessions are open. */
  openBytes: number;
  /** Bytes of kept activations a run may hold at once: 0 until the first optimizer step has measured the rest (calibrateKept). */
  allowance: number;
  calibrated: boolean;
  /** Bytes a chunk of `rows` rows of `seqLen` tokens keeps. */
  bytes(rows: number, seqLen: number): number;
  /** Kept chunks by their token batch, until their backward pass. */
  held: Map<object, KeptChunk>;
  /** Bytes held now. */
  heldBytes: number;
  pool: OutputPool;
}

/** A free buffer set for a chunk shape, or fresh buffers. */
export function takeBuffers(pool: OutputPool, rows: number, seqLen: number): Record<string, ort.Tensor> {
  const set = pool.free.get(`${rows}x${seqLen}`)?.pop();
  if (set) {
    pool.freeBytes -= tensorBytes(set, Object.keys(set));
    return set;
  }
  return Object.fromEntries(pool.layout(rows, seqLen).map(({ name, dims }) => [name, new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims)]));
}

/**
 * Each output's dims as a function of (rows, length), from its dims at (1, L), (2, L) and (1, 2L):
 * an axis is the row count, a multiple of the length, or fixed.
 */
export function fitLayout(L: number, one: Map<string, readonly number[]>, two: Map<string, readonly number[]>, long: Map<string, readonly number[]>): (rows: number, seqLen: number) => { name: string; dims: number[] }[] {
  const rules = [...one].map(([name, d1]) => {
    const d2 = two.get(name)!, d3 = long.get(name)!;
    return { name, axes: d1.map((a, i): [number, number, number] => {
      if (d2[i] === 2 * a && d3[i] === a) return [a, 0, 0]; // a·rows
      if (d3[i] === 2 * a && d2[i] === a) return [0, a / L, 0]; // (a/L)·length
      if (d2[i] === a && d3[i] === a) return [0, 0, a]; // fixed
      throw new Error(`kept activations: output ${name} axis ${i} is ${a}, ${d2[i]}, ${d3[i]} for 1 and 2 rows and twice the length: neither rows, length nor fixed`);
    }) };
  });
  return (rows, seqLen) => rules.map(({ name, axes }) => ({ name, dims: axes.map(([r, l, c]) => r * rows + l * seqLen + c) }));
}

/** Give a chunk's buffers back for the next chunk of its shape; free sets beyond `limit` bytes are dropped. */
export function returnBuffers(pool: OutputPool, shape: string, set: Record<string, ort.Tensor>, limit: number): void {
  const bytes = tensorBytes(set, Object.keys(set));
  if (pool.freeBytes + bytes > limit) return;
  pool.free.set(shape, [...(pool.free.get(shape) ?? []), set]);
  pool.freeBytes += bytes;
}

/**
 * Fit bytes(r, L) = r·(αL² + βL + ε) + δL + γ from the bytes of chunks of 1 and 2 rows (`one`,
 * `two`) at each of three lengths `Ls`: the per-row part is the quadratic through three points, the
 * shared part the line through two.
 */
export function fitChunkBytes(Ls: [number, number, number], one: number[], two: number[]): (rows: number, seqLen: number) => number {
  const perRow = Ls.map((_, i) => two[i] - one[i]);
  const shared = Ls.map((_, i) => one[i] - perRow[i]);
  // Lagrange form of the quadratic through (Ls[i], perRow[i]).
  const quadratic = (L: number) => Ls.reduce((sum, Li, i) => sum + perRow[i] * Ls.reduce((p, Lj, j) => (j === i ? p : (p * (L - Lj)) / (Li - Lj)), 1), 0);
  const delta = (shared[1] - shared[0]) / (Ls[1] - Ls[0]);
  const gamma = shared[0] - delta * Ls[0];
  return (rows, seqLen) => Math.round(rows * quadratic(seqLen) + delta * seqLen + gamma);
}

/** This process's peak resident set so far (Linux VmHWM), or its resident set where that is not known. */
export function peakResidentBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage.rss();
}

/** Bytes of a run's outputs. */
export function tensorBytes(tensors: Record<string, ort.Tensor>, names: readonly string[]): number {
  let n = 0;
  for (const y of names) n += (tensors[y].data as { byteLength: number }).byteLength;
  return n;
}
