// The counter-based dropout masks: the drop rate and the kept scale, reproducibility, independence
// across seeds and sites, and the slice property both engines and GradCache rely on.
import { describe, expect, it } from 'vitest';
import { columnDropout } from '../../src/losses/batch.js';
import { dropoutMultipliers, dropoutStepSeed } from '../../src/model/dropout-mask.js';

it('drops a fraction `rate` of elements (within 5 sigma) and scales the rest by 1/(1-rate) in float32', () => {
  for (const rate of [0.1, 0.5]) {
    const n = 200_000;
    const m = dropoutMultipliers(rate, 42, 3, 0, n);
    const dropped = m.filter((v) => v === 0).length;
    expect(Math.abs(dropped - rate * n)).toBeLessThan(5 * Math.sqrt(n * rate * (1 - rate)));
    expect(new Set(m)).toEqual(new Set([0, Math.fround(1 / (1 - rate))]));
    // The sum's expectation is n: dropout keeps activations' expected value.
    const sum = m.reduce((a, v) => a + v, 0);
    expect(Math.abs(sum - n) / n).toBeLessThan(0.01);
  }
});

it('is a function of (seed, site, index): the same call repeats; other seeds and sites differ', () => {
  const a = dropoutMultipliers(0.1, 7, 1, 0, 10_000);
  expect(dropoutMultipliers(0.1, 7, 1, 0, 10_000)).toEqual(a);
  const agree = (b: Float32Array) => a.filter((v, i) => v === b[i]).length / a.length;
  // Independent masks at rate 0.1 agree on 0.9² + 0.1² = 82% of elements.
  for (const other of [dropoutMultipliers(0.1, 8, 1, 0, 10_000), dropoutMultipliers(0.1, 7, 2, 0, 10_000), dropoutMultipliers(0.1, 7 + 2 ** 40, 1, 0, 10_000)]) {
    expect(Math.abs(agree(other) - 0.82)).toBeLessThan(0.02);
  }
});

it('a slice of elements equals the slice of the whole mask (mini-batches draw their rows of the column mask)', () => {
  const whole = dropoutMultipliers(0.2, 99, 4, 0, 5000);
  expect(dropoutMultipliers(0.2, 99, 4, 1234, 1000)).toEqual(whole.slice(1234, 2234));
});

it('neighbouring elements are uncorrelated (no stripes along rows)', () => {
  const m = dropoutMultipliers(0.5, 3, 0, 0, 100_000).map((v) => (v > 0 ? 1 : -1));
  for (const lag of [1, 2, 64, 384]) {
    let c = 0;
    for (let i = lag; i < m.length; i++) c += m[i] * m[i - lag];
    expect(Math.abs(c / (m.length - lag))).toBeLessThan(0.02);
  }
});

describe('dropoutStepSeed', () => {
  /** Column 0's mask at site 1 under a step's seed, as an engine draws it. */
  const mask = (stepSeed: number) => dropoutMultipliers(0.1, columnDropout(stepSeed, 0)!.seed, 1, 0, 10_000);
  const agree = (a: Float32Array, b: Float32Array) => a.filter((v, i) => v === b[i]).length / a.length;

  it('the same (seed, step, micro-batch) gives the same seed and masks (a resumed run draws them again)', () => {
    expect(dropoutStepSeed(42, 17, 3)).toBe(dropoutStepSeed(42, 17, 3));
    expect(mask(dropoutStepSeed(42, 17, 3))).toEqual(mask(dropoutStepSeed(42, 17, 3)));
    expect(Number.isInteger(dropoutStepSeed(2 ** 40 + 5, 17, 3))).toBe(true);
  });

  it('micro-batches 0 and 64 of a step, and micro-batch 64 of a step and 0 of the next, get independent masks', () => {
    // The old (seed·1000003 + step)·64 + micro gave the last pair one seed.
    expect((42 * 1_000_003 + 17) * 64 + 64).toBe((42 * 1_000_003 + 18) * 64 + 0);
    for (const [a, b] of [[[42, 17, 0], [42, 17, 64]], [[42, 17, 64], [42, 18, 0]], [[42, 17, 0], [43, 17, 0]]]) {
      const [ma, mb] = [mask(dropoutStepSeed(a[0], a[1], a[2])), mask(dropoutStepSeed(b[0], b[1], b[2]))];
      // Independent masks at rate 0.1 agree on 0.9² + 0.1² = 82% of elements.
      expect(Math.abs(agree(ma, mb) - 0.82), `${a} vs ${b}`).toBeLessThan(0.02);
    }
  });

  it('within a step, every micro-batch gets its own seed', () => {
    for (const step of [0, 1, 999_999]) {
      const seeds = new Set(Array.from({ length: 4096 }, (_, m) => dropoutStepSeed(42, step, m)));
      expect(seeds.size).toBe(4096);
    }
  });
});
