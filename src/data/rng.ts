// A seeded pseudo-random generator (sfc32) whose whole state is four 32-bit numbers, so it can be
// written into a checkpoint and resumed exactly.

export type RngState = [number, number, number, number];

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  state(): RngState;
}

/** Mix any number of integer keys (seed, epoch, stream id) into a starting state. */
export function seedRng(...keys: number[]): RngState {
  // splitmix32 over the keys, so nearby seeds give unrelated streams
  let h = 0x9e3779b9;
  const mix = (): number => {
    h = (h + 0x9e3779b9) | 0;
    let z = h;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  for (const k of keys) h = (h ^ Math.imul(k | 0, 0x27d4eb2d) ^ Math.floor(k / 2 ** 32)) | 0;
  const s: RngState = [mix(), mix(), mix(), mix()];
  return s;
}

export function makeRng(start: RngState): Rng {
  let [a, b, c, d] = start;
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  const next = (): number => u32() / 2 ** 32;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    state: () => [a, b, c, d],
  };
}
