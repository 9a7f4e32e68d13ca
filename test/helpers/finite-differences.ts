// Central finite differences of a scalar loss against a backward pass's gradients, at chosen
// elements of weight tensors: d loss / d w_i ~ (loss(w_i + eps) - loss(w_i - eps)) / 2 eps, with
// the bound |fd - g| <= 2e-4 + 2% |g| (float32 losses, eps 1e-2).
import { expect } from 'vitest';

export const FD_EPS = 1e-2;

type Tensors = Map<string, { data: Float32Array }>;

/**
 * For each tensor, checks the elements `pick(g)` chooses (default: the two largest gradients and
 * one fixed other element). `weights` are perturbed in place and restored. Returns the number of
 * elements checked and the largest |gradient| seen, so a caller can assert the check had teeth.
 */
export async function expectFiniteDifferences(
  weights: Tensors,
  grads: Tensors,
  loss: () => Promise<number>,
  tensors: string[],
  pick: (order: number[]) => number[] = (order) => [order[0], order[1], (order.length * 7) >> 4],
): Promise<{ checked: number; largest: number }> {
  let checked = 0, largest = 0;
  for (const name of tensors) {
    const w = weights.get(name)!.data, g = grads.get(name)!.data;
    const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]));
    largest = Math.max(largest, Math.abs(g[order[0]]));
    for (const i of pick(order)) {
      const keep = w[i];
      w[i] = keep + FD_EPS;
      const up = await loss();
      w[i] = keep - FD_EPS;
      const down = await loss();
      w[i] = keep;
      const fd = (up - down) / (2 * FD_EPS);
      expect(Math.abs(fd - g[i]), `${name}[${i}]: backward ${g[i]}, finite difference ${fd}`).toBeLessThanOrEqual(2e-4 + 2e-2 * Math.abs(g[i]));
      checked++;
    }
  }
  return { checked, largest };
}
