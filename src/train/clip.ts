// Global L2-norm gradient clipping, as torch.nn.utils.clip_grad_norm_.
import * as tf from '@tensorflow/tfjs';

/** The global L2 norm of all gradients. */
export function globalNorm(grads: Map<string, tf.Tensor>): number {
  const sq = tf.tidy(() => tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g)))));
  const total = Math.sqrt(sq.dataSync()[0]);
  sq.dispose();
  return total;
}

/** Scale gradients in place so their global norm is at most maxNorm (coefficient maxNorm / (norm + 1e-6)). */
export function clipGradients(grads: Map<string, tf.Tensor>, norm: number, maxNorm: number): void {
  const coef = maxNorm / (norm + 1e-6);
  if (coef >= 1) return;
  for (const [n, g] of grads) {
    grads.set(n, tf.mul(g, coef));
    g.dispose();
  }
}
