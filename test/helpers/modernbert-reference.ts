// A plain-JavaScript ModernBERT in float64, written from transformers' modeling_modernbert.py
// independently of the ONNX graph: one sequence at a time with no padding at all (as transformers'
// unpadded flash-attention path), so it also checks that the graph's padding masks change nothing
// for the real tokens. Weights in PyTorch layout ([out, in]) by Hugging Face name. Also: random-weight
// ModernBERT folders in memory, for the tests that judge the graph and its training with it.
import { parseConfig, weightShapes } from '../../src/model/config.js';
import type { ModelFolder } from '../../src/model/folder.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { erf } from './reference-encoder.js';

export interface RefModernBert {
  hidden: number;
  heads: number;
  intermediate: number;
  eps: number;
  act: 'gelu' | 'gelu_new';
  /** Per layer: global (full) attention or sliding window. */
  global: boolean[];
  globalTheta: number;
  localTheta: number;
  window: number;
  weights: Map<string, { shape: number[]; data: ArrayLike<number> }>;
}

type Vec = Float64Array;

function layerNorm(m: RefModernBert, x: Vec[], prefix: string): Vec[] {
  const w = m.weights.get(`${prefix}.weight`)!.data, b = m.weights.get(`${prefix}.bias`)?.data;
  return x.map((row) => {
    const mean = row.reduce((s, v) => s + v, 0) / row.length;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
    const r = 1 / Math.sqrt(variance + m.eps);
    return row.map((v, i) => (v - mean) * r * w[i] + (b ? b[i] : 0));
  });
}

/** Outputs [start, end) of Linear `name`: y = x Wᵀ + b. */
function linear(m: RefModernBert, x: Vec[], name: string, start = 0, end?: number): Vec[] {
  const W = m.weights.get(`${name}.weight`)!, b = m.weights.get(`${name}.bias`)?.data;
  const [out, inp] = W.shape;
  const stop = end ?? out;
  return x.map((row) => {
    const y = new Float64Array(stop - start);
    for (let o = start; o < stop; o++) {
      let s = b ? b[o] : 0;
      for (let k = 0; k < inp; k++) s += W.data[o * inp + k] * row[k];
      y[o - start] = s;
    }
    return y;
  });
}

function gelu(act: RefModernBert['act'], x: number): number {
  if (act === 'gelu_new') return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** RoPE on one head's vector at position p: x·cos + rotate_half(x)·sin, rotate_half = (-x2, x1). */
function rope(x: Vec, p: number, theta: number): Vec {
  const d = x.length, half = d / 2;
  const out = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const angle = p * theta ** (-(2 * (j % half)) / d);
    const rot = j < half ? -x[j + half] : x[j - half];
    out[j] = x[j] * Math.cos(angle) + rot * Math.sin(angle);
  }
  return out;
}

/** last_hidden_state [n, H] of one sequence of token ids (no padding). */
export function refModernBertHidden(m: RefModernBert, ids: number[]): Vec[] {
  const H = m.hidden, nh = m.heads, d = H / nh, F = m.intermediate, n = ids.length;
  const table = m.weights.get('embeddings.tok_embeddings.weight')!.data;
  let x: Vec[] = layerNorm(m, ids.map((id) => Float64Array.from({ length: H }, (_, k) => table[id * H + k])), 'embeddings.norm');
  m.global.forEach((global, i) => {
    const p = `layers.${i}.`;
    const xn = i === 0 ? x : layerNorm(m, x, `${p}attn_norm`);
    const theta = global ? m.globalTheta : m.localTheta;
    const [q, k, v] = [0, 1, 2].map((part) => linear(m, xn, `${p}attn.Wqkv`, part * H, (part + 1) * H));
    const ctx = Array.from({ length: n }, () => new Float64Array(H));
    for (let h = 0; h < nh; h++) {
      const head = (rows: Vec[], t: number) => rows[t].slice(h * d, (h + 1) * d);
      const qs = q.map((_, t) => rope(head(q, t), t, theta)), ks = k.map((_, t) => rope(head(k, t), t, theta));
      for (let t = 0; t < n; t++) {
        const keys = [...Array(n).keys()].filter((s) => global || Math.abs(t - s) <= Math.floor(m.window / 2));
        const scores = keys.map((s) => qs[t].reduce((acc, val, j) => acc + val * ks[s][j], 0) / Math.sqrt(d));
        const top = Math.max(...scores);
        const e = scores.map((sc) => Math.exp(sc - top));
        const z = e.reduce((a, b) => a + b, 0);
        keys.forEach((s, ki) => { for (let j = 0; j < d; j++) ctx[t][h * d + j] += (e[ki] / z) * v[s][h * d + j]; });
      }
    }
    const attn = linear(m, ctx, `${p}attn.Wo`);
    x = x.map((row, t) => row.map((val, j) => val + attn[t][j]));
    const hn = layerNorm(m, x, `${p}mlp_norm`);
    const input = linear(m, hn, `${p}mlp.Wi`, 0, F), gate = linear(m, hn, `${p}mlp.Wi`, F, 2 * F);
    const glu = input.map((row, t) => row.map((val, j) => gelu(m.act, val) * gate[t][j]));
    const out = linear(m, glu, `${p}mlp.Wo`);
    x = x.map((row, t) => row.map((val, j) => val + out[t][j]));
  });
  return layerNorm(m, x, 'final_norm');
}

/** A seeded uniform generator in [-1, 1). */
export function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** An in-memory folder with random weights: norms near 1, Linear weights of `scale`. */
export function randomModernBertFolder(raw: Record<string, unknown>, seed: number, scale: number): ModelFolder {
  const config = parseConfig({ model_type: 'modernbert', ...raw });
  const r = rng(seed);
  const weights: TensorMap = new Map();
  for (const [name, shape] of weightShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const norm = /norm\.weight$/.test(name);
    const s = name.includes('embeddings') ? 1 : name.endsWith('.bias') ? 0.1 : norm ? 0.1 : scale;
    weights.set(name, { shape, data: Float32Array.from({ length: n }, () => (norm ? 1 : 0) + s * r()) });
  }
  return { dir: `random-modernbert-${seed}`, config, pooling: 'mean', normalize: false, maxSeqLength: config.maxPositions, weights, prompts: {}, defaultPromptName: null, includePrompt: true };
}
