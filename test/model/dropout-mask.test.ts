// The counter-based dropout masks: the drop rate and the kept scale, reproducibility, independence
// across keys, the slice property both engines and GradCache rely on, and the one hash of (seed,
// step, micro-batch, column, site) that keys every mask: no two masks of a run share a key.
import { describe, expect, it } from 'vitest';
import { type Dropout, dropoutMultipliers, maskKey } from '../../src/model/dropout-mask.js';

/** The mask key of `site` for column `column` of micro-batch `micro` of step `step` under run seed `seed`. */
const key = (seed: number, step: number, micro: number, column: number, site: number) => maskKey({ step: { seed, step, micro }, column }, site);

it('drops a fraction `rate` of elements (within 5 sigma) and scales the rest by 1/(1-rate) in float32', () => {
  for (const rate of [0.1, 0.5]) {
    const n = 200_000;
    const m = dropoutMultipliers(rate, key(42, 0, 0, 0, 3), 0, n);
    const dropped = m.filter((v) => v === 0).length;
    expect(Math.abs(dropped - rate * n)).toBeLessThan(5 * Math.sqrt(n * rate * (1 - rate)));
    expect(new Set(m)).toEqual(new Set([0, Math.fround(1 / (1 - rate))]));
    // The sum's expectation is n: dropout keeps activations' expected value.
    const sum = m.reduce((a, v) => a + v, 0);
    expect(Math.abs(sum - n) / n).toBeLessThan(0.01);
  }
});

it('is a function of (seed, step, micro-batch, column, site, index): the same call repeats; any other part gives another mask', () => {
  const a = dropoutMultipliers(0.1, key(7, 3, 2, 1, 1), 0, 10_000);
  expect(dropoutMultipliers(0.1, key(7, 3, 2, 1, 1), 0, 10_000)).toEqual(a);
  const agree = (b: Float32Array) => a.filter((v, i) => v === b[i]).length / a.length;
  // Independent masks at rate 0.1 agree on 0.9² + 0.1² = 82% of elements.
  for (const other of [key(8, 3, 2, 1, 1), key(7 + 2 ** 40, 3, 2, 1, 1), key(7, 4, 2, 1, 1), key(7, 3, 3, 1, 1), key(7, 3, 2, 2, 1), key(7, 3, 2, 1, 2), key(7, 3, 2, 2, 2), key(7, 3, 1, 1, 1)]) {
    expect(Math.abs(agree(dropoutMultipliers(0.1, other, 0, 10_000)) - 0.82), String(other)).toBeLessThan(0.02);
  }
});

it('a slice of elements equals the slice of the whole mask (mini-batches draw their rows of the column mask)', () => {
  const whole = dropoutMultipliers(0.2, key(99, 0, 0, 0, 4), 0, 5000);
  expect(dropoutMultipliers(0.2, key(99, 0, 0, 0, 4), 1234, 1000)).toEqual(whole.slice(1234, 2234));
});

it('neighbouring elements are uncorrelated (no stripes along rows)', () => {
  const m = dropoutMultipliers(0.5, key(3, 0, 0, 0, 0), 0, 100_000).map((v) => (v > 0 ? 1 : -1));
  for (const lag of [1, 2, 64, 384]) {
    let c = 0;
    for (let i = lag; i < m.length; i++) c += m[i] * m[i - lag];
    expect(Math.abs(c / (m.length - lag))).toBeLessThan(0.02);
  }
});

describe('maskKey: one hash of (seed, step, micro-batch, column, site)', () => {
  it('no two (step, micro-batch, column, site) of a realistic run share a key: 100 steps x 80 micro-batches x 4 columns x 37 sites', () => {
    // 12 layers: sites 0..36; query, positive and two negatives; accumulation 80 (over the old scheme's 64).
    const seen = new Set<bigint>();
    let n = 0;
    for (let step = 0; step < 100; step++) {
      for (let micro = 0; micro < 80; micro++) {
        for (let column = 0; column < 4; column++) {
          for (let site = 0; site < 37; site++) {
            const [hi, lo] = key(42, step, micro, column, site);
            seen.add((BigInt(hi) << 32n) | BigInt(lo));
            n++;
          }
        }
      }
    }
    expect(seen.size).toBe(n);
  });

  it('with accumulation over 64, micro-batch 64 of a step and micro-batch 0 of the next draw independent masks', () => {
    // The old (seed·1000003 + step)·64 + micro gave these two micro-batches one seed.
    expect((42 * 1_000_003 + 17) * 64 + 64).toBe((42 * 1_000_003 + 18) * 64 + 0);
    const agree = (a: Float32Array, b: Float32Array) => a.filter((v, i) => v === b[i]).length / a.length;
    for (const [a, b] of [[[17, 64], [18, 0]], [[17, 0], [17, 64]], [[17, 0], [17, 128]]]) {
      const [ma, mb] = [a, b].map(([step, micro]) => dropoutMultipliers(0.1, key(42, step, micro, 0, 1), 0, 10_000));
      expect(Math.abs(agree(ma, mb) - 0.82), `${a} vs ${b}`).toBeLessThan(0.02);
    }
  });

  it('the same parts give the same key (a resumed run draws the same masks); parts out of range are a clear error', () => {
    expect(key(2 ** 40 + 5, 17, 3, 2, 9)).toEqual(key(2 ** 40 + 5, 17, 3, 2, 9));
    const d: Dropout = { step: { seed: 1, step: 0, micro: 2 ** 16 }, column: 0 };
    expect(() => maskKey(d, 0)).toThrow('dropout: micro-batch 65536 is outside 0..65535');
    expect(() => key(1, 0, 0, 256, 0)).toThrow('dropout: column 256 is outside 0..255');
    expect(() => key(1, 0, 0, 0, 256)).toThrow('dropout: site 256 is outside 0..255');
  });
});
