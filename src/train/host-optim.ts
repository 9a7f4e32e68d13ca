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

/** Zeros in the shapes of `m`. */
export function zerosLike(m: TensorMap): TensorMap {
  return new Map([...m].map(([n, p]) => [n, { shape: p.shape, data: new Float32Array(p.data.length) }]));
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

export function scaleGradients(grads: TensorMap, factor: number): void {
  for (const g of grads.values()) for (let i = 0; i < g.data.length; i++) g.data[i] *= factor;
}

/** The global L2 norm of all gradients (summed in float64). */
export function hostGlobalNorm(grads: TensorMap): number {
  let sq = 0;
  for (const g of grads.values()) for (let i = 0; i < g.data.length; i++) sq += g.data[i] * g.data[i];
  return Math.sqrt(sq);
}

/** As torch.nn.utils.clip_grad_norm_: scale by maxNorm / (norm + 1e-6) when that is below 1. */
export function hostClip(grads: TensorMap, norm: number, maxNorm: number): void {
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) scaleGradients(grads, coef);
}

/** One AdamW update of every parameter in place (the math above; `normParams` as for `decays`). Values are stored as float32, the arithmetic in float64. */
export function hostAdamwStep(params: TensorMap, grads: TensorMap, s: HostMoments, lr: number, cfg: AdamWConfig, normParams: ReadonlySet<string>): void {
  s.step += 1;
  const [b1, b2] = cfg.betas;
  const bc1 = 1 - b1 ** s.step;
  const bc2Sqrt = Math.sqrt(1 - b2 ** s.step);
  for (const [name, p] of params) {
    const g = grads.get(name)?.data;
    if (!g) continue;
    const m = s.m.get(name)!.data, v = s.v.get(name)!.data, w = p.data;
    const keep = decays(name, normParams) && cfg.weightDecay > 0 ? 1 - lr * cfg.weightDecay : 1;
    adamwTensor(w, g, m, v, b1, b2, keep, lr / bc1, bc2Sqrt, cfg.eps);
  }
}

/**
 * AdamW on one tensor, in a function of its own so the loop compiles to straight float code. The
 * moments are rounded to float32 before the weight update reads them, as storing and reloading them
 * would (and torch's float32 tensors do): the results are the same bits as the plain loop's.
 */
function adamwTensor(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, b1: number, b2: number, keep: number, stepSize: number, bc2Sqrt: number, eps: number): void {
  const a1 = 1 - b1, a2 = 1 - b2;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const mi = Math.fround(b1 * m[i] + a1 * gi);
    const vi = Math.fround(b2 * v[i] + a2 * gi * gi);
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] * keep - stepSize * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
  }
}
