// How many rows of a micro-batch a part may have within train.memory_budget (step-graph.ts: one
// run computes a part's loss, forward and backward, holding every forward value its backward
// reads, for every column at once).
//
// What a part holds is measured, not guessed: every such value is [rows, ...] with a length axis or
// two (attention scores) or none (pooled rows), or shared by the rows ([L, H] positions), so r rows
// of L tokens hold
//   bytes(r, L) = r·(αL² + βL + ε) + δL + γ
// and six tiny probe runs at open (1 and 2 rows of three lengths) fix the five numbers
// (train-step.ts partBudget). On top come the part's dropout masks and word-row gradients (exact),
// and onnxruntime's arena, which grows past the values it holds (ARENA_GROWTH, measured).
//
// Besides parts, a run holds what it held when its first micro-batch arrived (weights, sessions,
// the data pipeline) and, from its first step, the gradients, AdamW's two moments and the step
// graph's gradient outputs: four more copies of the weights at most.
import fs from 'node:fs';

export interface PartBudget {
  /** train.memory_budget in bytes. */
  budget: number;
  /** The resident set when the first micro-batch arrived (set by partRowsWithin). */
  startBytes?: number;
  /** Bytes of the trainable weights. */
  paramBytes: number;
  /** Bytes a part of `rows` rows of one column of `seqLen` tokens holds: onnxruntime's activations, and the rest (masks, outputs). */
  bytes(rows: number, seqLen: number): { activations: number; other: number };
}

/**
 * onnxruntime's CPU arena over the activations it holds at once: MiniLM-L6, batch 32 + 1 negative
 * of 128 tokens, the whole batch in one part: 2.21 GB of activations predicted, the process peaked
 * 3.0 GB above its resident set at open, weights state and masks (1.36x), in its second step and
 * no further (the arena extends in powers of two and keeps what it took).
 */
const ARENA_GROWTH = 1.5;

/**
 * The most rows per part (of every column) whose run fits the budget: 0 if not even one does. The
 * run's other memory is its resident set when the first micro-batch arrives (weights, sessions,
 * the data pipeline), four more copies of the weights (gradients, AdamW's moments, the step graph's
 * gradient outputs), and a twentieth of the budget for what is not modelled (the forward runs of
 * the other parts, allocator slack: a 600 MB budget's two parts peaked 27 MB above the rest).
 */
export function partRowsWithin(p: PartBudget, seqLens: number[]): number {
  p.startBytes ??= process.memoryUsage.rss();
  const need = (rows: number) => seqLens.reduce((n, L) => {
    const b = p.bytes(rows, L);
    return n + ARENA_GROWTH * b.activations + b.other;
  }, 0);
  const allowance = 0.95 * p.budget - p.startBytes - 4 * p.paramBytes;
  // need is linear in the rows: need(r) = r·perRow + fixed.
  const perRow = need(2) - need(1);
  return Math.max(0, Math.floor((allowance - (need(1) - perRow)) / perRow));
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
