// The optimizer, once for every engine, on host Float32Arrays (engines give their gradients as host
// arrays and train the host weights): gradient accumulation, global-norm clipping as
// torch.nn.utils.clip_grad_norm_, and AdamW with torch.optim.AdamW's semantics (Loshchilov &
// Hutter 2019, "Decoupled Weight Decay Regularization"): decay applied to the weights, not the
// gradient; bias-corrected moments.
//
//   p ← p · (1 − lr·wd)                      (only where decay applies)
//   m ← β1·m + (1 − β1)·g                    v ← β2·v + (1 − β2)·g²
//   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
import type { TensorMap } from '../model/safetensors.js';

export interface AdamWConfig {
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWConfig = { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 };

/** transformers' Trainer.get_decay_parameter_names: names (lower-cased) that never decay. */
const NO_DECAY_PATTERNS = [/bias/, /layernorm/, /rmsnorm/, /(?:^|\.)norm(?:$|\.)/, /_norm(?:$|\.)/];

/**
 * As Hugging Face's Trainer (and so sentence-transformers): no decay on the parameters of
 * normalisation layers, by module whatever their name (`normParams`: config.ts
 * normParameterNames), nor on names matching its patterns (biases, "bias" anywhere included).
 */
export function decays(name: string, normParams: ReadonlySet<string>): boolean {
  const lower = name.toLowerCase();
  return !normParams.has(name) && !NO_DECAY_PATTERNS.some((p) => p.test(lower));
}

/** Optimizer moments by parameter name, in the layout of the parameters they belong to. */
export interface HostMoments {
  step: number;
  m: TensorMap;
  v: TensorMap;
}

/**
 * Zeros in the shapes of `m`, in memory worker threads can share (host-threads.ts: AdamW over all
 * cores reads and writes weights, gradients and moments in place).
 */
export function zerosLike(m: TensorMap): TensorMap {
  return new Map([...m].map(([n, p]) => [n, { shape: p.shape, data: sharedFloats(p.data.length) }]));
}

/** A zeroed Float32Array on a SharedArrayBuffer. */
export function sharedFloats(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(4 * length));
}

/** `m`'s tensors copied into shared memory (see zerosLike). */
export function sharedCopy(m: TensorMap): TensorMap {
  return new Map([...m].map(([n, p]) => {
    const data = sharedFloats(p.data.length);
    data.set(p.data);
    return [n, { shape: p.shape, data }];
  }));
}

export function zeroMoments(params: TensorMap): HostMoments {
  return { step: 0, m: zerosLike(params), v: zerosLike(params) };
}

/** acc += g, tensor by tensor. */
export function addGradients(acc: TensorMap, g: TensorMap): void {
  for (const [name, t] of g) {
    const a = acc.get(name)!.data;
    for (let i = 0; i < a.length; i++) a[i] += t.data[i];
  }
}

/** The global L2 norm of all gradients times `scale` (each product rounded to float32, as scaling them in place would; summed in float64). */
export function hostGlobalNorm(grads: TensorMap, scale = 1): number {
  let sq = 0;
  for (const g of grads.values()) {
    for (let i = 0; i < g.data.length; i++) {
      const x = scale === 1 ? g.data[i] : Math.fround(g.data[i] * scale);
      sq += x * x;
    }
  }
  return Math.sqrt(sq);
}

/** As torch.nn.utils.clip_grad_norm_: the gradients' factor maxNorm / (norm + 1e-6) when that is below 1, else 1. */
export function clipCoefficient(norm: number, maxNorm: number): number {
  const coef = maxNorm / (norm + 1e-6);
  return coef < 1 ? coef : 1;
}

/** How the gradients are read by one AdamW step: averaged over micro-batches, then clipped (each factor a float32 rounding, as in-place passes would round). */
export interface GradScaling {
  average: number;
  clip: number;
}

/**
 * One AdamW update of every parameter in place (the math above; `normParams` as for `decays`),
 * reading each gradient as fround(fround(g·average)·clip) and setting it to 0 for the next step.
 * Values are stored as float32, the arithmetic in float64. With `threads` (host-threads.ts), the
 * elements are shared among the cores: the same bits, elementwise.
 */
export function hostAdamwStep(params: TensorMap, grads: TensorMap, s: HostMoments, lr: number, cfg: AdamWConfig, normParams: ReadonlySet<string>, scaling: GradScaling = { average: 1, clip: 1 }, threads?: HostThreads): void {
  s.step += 1;
  const [b1, b2] = cfg.betas;
  const bc1 = 1 - b1 ** s.step;
  const bc2Sqrt = Math.sqrt(1 - b2 ** s.step);
  const keeps = [...params].map(([name]) => (!grads.has(name) ? NaN : decays(name, normParams) && cfg.weightDecay > 0 ? 1 - lr * cfg.weightDecay : 1));
  const job: AdamwJob = { b1, b2, stepSize: lr / bc1, bc2Sqrt, eps: cfg.eps, average: scaling.average, clip: scaling.clip, keeps };
  if (threads) return threads.adamw(job);
  [...params].forEach(([name, p], t) => {
    if (Number.isNaN(keeps[t])) return;
    const g = grads.get(name)!.data, m = s.m.get(name)!.data, v = s.v.get(name)!.data;
    adamwRange(p.data, g, m, v, 0, p.data.length, b1, b2, keeps[t], job.stepSize, bc2Sqrt, cfg.eps, scaling.average, scaling.clip);
  });
}

/** One AdamW step's numbers: `keeps[t]` is tensor t's decay factor (NaN: no gradient, not updated). */
export interface AdamwJob {
  b1: number;
  b2: number;
  stepSize: number;
  bc2Sqrt: number;
  eps: number;
  average: number;
  clip: number;
  keeps: number[];
}

/** Where AdamW runs over several cores (host-threads.ts). */
export interface HostThreads {
  adamw(job: AdamwJob): void;
  dispose(): Promise<void>;
}

/**
 * AdamW on elements [start, end) of one tensor, in a function of its own so the loop compiles to
 * straight float code (and self-contained: host-threads.ts runs its source in worker threads). The
 * moments are rounded to float32 before the weight update reads them, as storing and reloading them
 * would (and torch's float32 tensors do); the gradient is rounded after each factor as in-place
 * scaling would: the same bits as separate passes. fround(x·1) is x for a float32 x.
 */
export function adamwRange(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, start: number, end: number, b1: number, b2: number, keep: number, stepSize: number, bc2Sqrt: number, eps: number, average: number, clip: number): void {
  const a1 = 1 - b1, a2 = 1 - b2;
  for (let i = start; i < end; i++) {
    const gi = Math.fround(Math.fround(g[i] * average) * clip);
    g[i] = 0;
    const mi = Math.fround(b1 * m[i] + a1 * gi);
    const vi = Math.fround(b2 * v[i] + a2 * gi * gi);
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] * keep - stepSize * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
  }
}
