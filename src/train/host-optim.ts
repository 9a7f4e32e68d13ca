// AdamW, global-norm clipping and gradient accumulation on host Float32Arrays, for engines whose
// gradients come back to the host (onnx). Same math and order as the tfjs versions (adamw.ts,
// clip.ts), so a checkpoint written by one engine resumes in the other; both round each stored
// value to float32, so they agree to float32 rounding, not bit for bit.
import type { TensorMap } from '../model/safetensors.js';
import { type AdamWConfig, decays } from './adamw.js';

/** Optimizer moments by parameter name, in the layout of the parameters they belong to. */
export interface HostMoments {
  step: number;
  m: TensorMap;
  v: TensorMap;
}

export function zeroMoments(params: TensorMap): HostMoments {
  const zeros = () => new Map([...params].map(([n, p]) => [n, { shape: p.shape, data: new Float32Array(p.data.length) }]));
  return { step: 0, m: zeros(), v: zeros() };
}

/** acc += g, tensor by tensor (acc undefined: g becomes the accumulator). */
export function addGradients(acc: TensorMap | undefined, g: TensorMap): TensorMap {
  if (!acc) return g;
  for (const [name, t] of g) {
    const a = acc.get(name)!.data;
    for (let i = 0; i < a.length; i++) a[i] += t.data[i];
  }
  return acc;
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

/** One AdamW update of every parameter in place (see adamw.ts for the math; `normParams` as for `decays`). */
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
    const stepSize = lr / bc1;
    for (let i = 0; i < w.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      w[i] = w[i] * keep - stepSize * (m[i] / (Math.sqrt(v[i]) / bc2Sqrt + cfg.eps));
    }
  }
}
