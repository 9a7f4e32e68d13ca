// Dropout masks from a counter-based hash. Every mask has one key, a hash of (run seed, optimizer
// step, micro-batch, column, site) (maskKey), and the multiplier of its element i is a pure
// function of (key, i). Both training engines draw their masks here, so they drop the same units;
// any slice of a mask can be drawn without the rest, so a GradCache mini-batch, a chunk of rows or
// a data-parallel rank's rows (their position in the global batch) get exactly their slice; and a
// resumed run draws the same masks.
//
//   key = (hi, lo):  hi = fmix32(seedKey(seed) ^ fmix32(step + c))          injective in step
//                    lo = fmix32((micro << 16 | column << 8 | site) ^ c')   injective in the rest
//   u_i = fmix32((hi + i·φ) ^ lo) / 2³²        (murmur3's finaliser fmix32; φ = 0x9e3779b9)
//   multiplier_i = u_i < 1 − rate ? 1 / (1 − rate) : 0     (as torch.nn.Dropout in training)
//
// For one run seed, two masks of a run never share a key (both words come from bijections of
// uint32), however many micro-batches a step accumulates (up to 65536), columns (256) or sites (256).

/** Where one training micro-batch's masks come from. */
export interface DropoutStep {
  /** The run's seed (train.seed; any safe integer). */
  seed: number;
  /** The optimizer step. */
  step: number;
  /** The micro-batch within the step (as one process reading the same stream would number it). */
  micro: number;
}

/**
 * Training-mode dropout of some rows of one column of a micro-batch, where Hugging Face applies it
 * (embeddings, attention probabilities, both sublayer outputs), at the config's rates. A mask is a
 * function of its key and the element's position in its column, so a forward pass can be replayed
 * exactly (GradCache re-embeds every mini-batch: `firstRow` says where it starts).
 */
export interface Dropout {
  step: DropoutStep;
  /** The column: 0 queries, 1 positives, 2 + j the j-th negatives. */
  column: number;
  /** This batch's first row within its column (default 0). */
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

function checkRange(what: string, value: number, limit: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= limit) throw new Error(`dropout: ${what} ${value} is outside 0..${limit - 1}`);
}

/** The key [hi, lo] of the mask of `site` for the rows of `d` (see the header for the hash). */
export function maskKey(d: Dropout, site: number): [number, number] {
  const { seed, step, micro } = d.step;
  checkRange('micro-batch', micro, 2 ** 16);
  checkRange('column', d.column, 2 ** 8);
  checkRange('site', site, 2 ** 8);
  const hi = fmix32(seedKey(seed) ^ fmix32((step + 0x7f4a7c15) >>> 0));
  const lo = fmix32(((micro << 16) | (d.column << 8) | site) ^ 0x165667b1);
  return [hi, lo];
}

/**
 * Multipliers (0 or 1/(1−rate), float32) of elements [first, first + count) of the mask with key
 * `key` (maskKey), in the tensor's row-major order; written into `out` when given.
 */
export function dropoutMultipliers(rate: number, key: [number, number], first: number, count: number, out: Float32Array = new Float32Array(count)): Float32Array {
  const keep = 1 - rate;
  const scale = 1 / keep;
  // Unsigned h < keep·2³² as a signed compare of both sides xor the sign bit (stays in int32 registers).
  const threshold = ((keep * 2 ** 32) | 0) ^ 0x80000000;
  const lo = key[1] | 0;
  // The counter hi + i·φ (mod 2³²), stepped by φ; fmix32 inlined: this loop runs for every activation.
  let c = (key[0] + Math.imul(first, 0x9e3779b9)) | 0;
  for (let i = 0; i < count; i++) {
    let h = c ^ lo;
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
