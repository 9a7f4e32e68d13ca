// The after_step1/2 rule both engines are held to: weights after an AdamW step against PyTorch's
// (test/fixtures/*.after_step*.safetensors) within 1e-5, except a handful of values whose
// gradient is near Adam's eps (see reference.test.ts), and none off by 2·lr or more.
import { expect } from 'vitest';
import { readSafetensors, type TensorMap } from '../../src/model/safetensors.js';

export function expectAfterStep(file: string, got: TensorMap, lr: number): void {
  const want = readSafetensors(file);
  let off = 0, total = 0, worst = 0;
  for (const [k, t] of want) {
    const o = got.get(k)!;
    expect(o.shape, k).toEqual(t.shape);
    t.data.forEach((v, i) => {
      const d = Math.abs(v - o.data[i]);
      total++;
      if (d > 1e-5) off++;
      worst = Math.max(worst, d);
    });
  }
  expect(total).toBeGreaterThan(20_000);
  expect(off).toBeLessThanOrEqual(4);
  expect(worst).toBeLessThan(2 * lr);
}
