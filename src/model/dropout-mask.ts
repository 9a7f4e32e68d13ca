// Dropout masks from a counter-based hash: the multiplier of element i of a dropout site is a pure
// function of (seed, site, i). Both training engines draw their masks here, so they drop the same
// units; and any slice of a tensor's mask can be drawn without the rest, so a GradCache
// mini-batch, or a chunk of rows, gets exactly the slice of its column's mask.
//
//   u_i = fmix32(key(seed, site) + i·φ) / 2³²        (murmur3's finaliser; φ = 0x9e3779b9)
//   multiplier_i = u_i < 1 − rate ? 1 / (1 − rate) : 0     (as torch.nn.Dropout in training)
//
// A training step's seed is the same hash of (run seed, step, micro-batch) (dropoutStepSeed), so
// masks never repeat because two of those happen to combine to the same number.

/**
 * Training-mode dropout, where Hugging Face applies it (embeddings, attention probabilities,
 * both sublayer outputs), at the config's rates. Masks are a function of `seed` and the element's
 * position in its column (dropout-mask.ts), so a forward pass can be replayed exactly (GradCache
 * re-embeds every mini-batch: `firstRow` says where it starts), a resumed run draws the same
 * masks, and the onnx engine draws them too.
 */
export interface Dropout {
  seed: number;
  /** This batch's first row within the column the seed belongs to (default 0). */
  firstRow?: number;
}

/** murmur3's 32-bit finaliser: a bijection on uint32 that mixes every input bit into every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit key from a seed (any safe integer), both of its halves mixed. */
function seedKey(seed: number): number {
  const lo = seed >>> 0, hi = Math.floor(seed / 2 ** 32) >>> 0;
  return fmix32(lo ^ fmix32(hi + 0x632be59b));
}

/** A 32-bit key from a seed (any safe integer) and a site number. */
function siteKey(seed: number, site: number): number {
  return fmix32(seedKey(seed) ^ Math.imul(site + 1, 0x9e3779b9));
}

/**
 * The dropout seed (uint32) of micro-batch `micro` of training step `step` in a run seeded `seed`:
 *   key = seedKey(seed);  key = fmix32(key ^ fmix32(step + c₁));  key = fmix32(key ^ fmix32(micro + c₂))
 * Each absorbed word goes through bijections of uint32 only, so within one (seed, step) distinct
 * micro-batches always get distinct seeds (the old `(seed·1000003 + step)·64 + micro` gave
 * micro-batch 64 of a step the seed of micro-batch 0 of the next); it is a pure function, so a
 * resumed run draws the same masks.
 */
export function dropoutStepSeed(seed: number, step: number, micro: number): number {
  const k = fmix32(seedKey(seed) ^ fmix32((step + 0x7f4a7c15) >>> 0));
  return fmix32(k ^ fmix32((micro + 0x165667b1) >>> 0));
}

/**
 * Multipliers (0 or 1/(1−rate), float32) of elements [first, first + count) of dropout site `site`
 * under `seed`, in the tensor's row-major order; written into `out` when given.
 */
export function dropoutMultipliers(rate: number, seed: number, site: number, first: number, count: number, out: Float32Array = new Float32Array(count)): Float32Array {
  const keep = 1 - rate;
  const scale = 1 / keep;
  // Unsigned h < keep·2³² as a signed compare of both sides xor the sign bit (stays in int32 registers).
  const threshold = ((keep * 2 ** 32) | 0) ^ 0x80000000;
  // The counter key + i·φ (mod 2³²), stepped by φ; fmix32 inlined: this loop runs for every activation.
  let c = (siteKey(seed, site) + Math.imul(first, 0x9e3779b9)) | 0;
  for (let i = 0; i < count; i++) {
    let h = c;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    out[i] = (h ^ 0x80000000) < threshold ? scale : 0;
    c = (c + 0x9e3779b9) | 0;
  }
  return out;
}

/**
 * The one numbering of dropout sites, shared by the ONNX graphs and the tfjs encoder: 0 is the
 * embeddings output; layer i has `firstLayerSite(i)` for its attention probabilities, the next for
 * its attention output and the next for its MLP.
 */
export function firstLayerSite(layer: number): number {
  return 1 + 3 * layer;
}
