// AdamW with torch.optim.AdamW's semantics (Loshchilov & Hutter 2019, "Decoupled Weight Decay
// Regularization"): decay applied to the weights, not the gradient; bias-corrected moments.
//
//   p ← p · (1 − lr·wd)                      (only where decay applies)
//   m ← β1·m + (1 − β1)·g                    v ← β2·v + (1 − β2)·g²
//   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
import * as tf from '@tensorflow/tfjs';
import { isModernBertNorm } from '../model/modernbert-config.js';

export interface AdamWConfig {
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

export interface AdamWState {
  step: number;
  m: Map<string, tf.Tensor>;
  v: Map<string, tf.Tensor>;
}

export const ADAMW_DEFAULTS: AdamWConfig = { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 };

/** As Hugging Face's Trainer (and so sentence-transformers): no decay on biases and LayerNorm. */
export function decays(name: string): boolean {
  return !name.endsWith('.bias') && !name.includes('LayerNorm') && !isModernBertNorm(name);
}

export function initAdamW(params: Map<string, tf.Variable>): AdamWState {
  const zeros = () => new Map([...params].map(([n, p]) => [n, tf.zerosLike(p)] as [string, tf.Tensor]));
  return { step: 0, m: zeros(), v: zeros() };
}

/** One update of every parameter in place, at learning rate `lr`. */
export function adamwStep(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, state: AdamWState, lr: number, cfg: AdamWConfig): void {
  state.step += 1;
  const [b1, b2] = cfg.betas;
  const bc1 = 1 - b1 ** state.step;
  const bc2Sqrt = Math.sqrt(1 - b2 ** state.step);
  for (const [name, p] of params) {
    const g = grads.get(name);
    if (!g) continue;
    const [m, v, next] = tf.tidy(() => {
      const decayed = decays(name) && cfg.weightDecay > 0 ? tf.mul(p, 1 - lr * cfg.weightDecay) : p;
      const m = tf.add(tf.mul(state.m.get(name)!, b1), tf.mul(g, 1 - b1));
      const v = tf.add(tf.mul(state.v.get(name)!, b2), tf.mul(tf.square(g), 1 - b2));
      const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), cfg.eps);
      return [m, v, tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bc1))];
    });
    state.m.get(name)!.dispose();
    state.v.get(name)!.dispose();
    state.m.set(name, m);
    state.v.set(name, v);
    p.assign(next);
    next.dispose();
  }
}

export function disposeAdamW(state: AdamWState): void {
  state.m.forEach((t) => t.dispose());
  state.v.forEach((t) => t.dispose());
}
