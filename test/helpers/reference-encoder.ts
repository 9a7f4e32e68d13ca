// An independent reference for sentence encoders: BERT / XLM-RoBERTa forward, pooling and
// normalisation in plain JavaScript (Float64 loops, no tfjs, no densetrain code), written from
// Hugging Face's modeling_bert.py / modeling_xlm_roberta.py and sentence-transformers' Pooling.
// It is checked against the sentence-transformers fixtures and then serves as the oracle for
// model folders that have no Python reference.
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

/** A tensor in PyTorch layout (Linear weights [out, in]). */
export interface RefTensor {
  shape: number[];
  data: ArrayLike<number>;
}
export type RefWeights = Map<string, RefTensor>;
export type RefPooling = 'mean' | 'cls' | 'max' | 'lasttoken';

/** The config.json keys the forward pass reads. */
export interface RefConfig {
  model_type: string;
  hidden_size: number;
  num_attention_heads: number;
  num_hidden_layers: number;
  layer_norm_eps?: number;
  hidden_act?: string;
  pad_token_id?: number;
}

export interface RefModel {
  config: RefConfig;
  weights: RefWeights;
  pooling: RefPooling;
  normalize: boolean;
  maxSeqLength: number;
}

/**
 * erf to ~1e-16 relative: erf(x) = 2/√π · e^(-x²) · Σ_n (2x²)^n x / (1·3·…·(2n+1)). Every term is
 * positive, so the sum has no cancellation; beyond |x| = 6, erf is ±1 in float64.
 */
export function erf(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x);
  let term = x, sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

function activation(name: string): (x: number) => number {
  if (name === 'gelu') return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
  if (name === 'gelu_new' || name === 'gelu_pytorch_tanh') {
    return (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  }
  throw new Error(`reference: no activation ${name}`);
}

function get(w: RefWeights, name: string): ArrayLike<number> {
  const t = w.get(name);
  if (!t) throw new Error(`reference: weight ${name} missing`);
  return t.data;
}

/** y = x Wᵀ + b for one row, W [out, in] as PyTorch stores it. */
function linear(x: Float64Array, W: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = b.length, inn = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b[o];
    for (let i = 0; i < inn; i++) s += W[o * inn + i] * x[i];
    y[o] = s;
  }
  return y;
}

function layerNorm(x: Float64Array, g: ArrayLike<number>, b: ArrayLike<number>, eps: number): Float64Array {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let variance = 0;
  for (const v of x) variance += (v - mean) ** 2;
  variance /= x.length; // biased, as torch.nn.LayerNorm
  const inv = 1 / Math.sqrt(variance + eps);
  return x.map((v, i) => (v - mean) * inv * g[i] + b[i]);
}

/** BERT counts positions 0..n-1; RoBERTa numbers non-pad tokens from pad_token_id + 1. */
function positionIds(cfg: RefConfig, ids: number[]): number[] {
  if (cfg.model_type === 'bert') return ids.map((_, i) => i);
  const pad = cfg.pad_token_id ?? 1;
  let count = 0;
  return ids.map((id) => (id === pad ? pad : pad + ++count));
}

/** last_hidden_state [L][H] of one unpadded token sequence (no attention mask needed). */
export function referenceHidden(cfg: RefConfig, w: RefWeights, ids: number[]): Float64Array[] {
  const H = cfg.hidden_size, nh = cfg.num_attention_heads, d = H / nh, L = ids.length;
  const eps = cfg.layer_norm_eps ?? 1e-12;
  const act = activation(cfg.hidden_act ?? 'gelu');
  const word = get(w, 'embeddings.word_embeddings.weight');
  const posEmb = get(w, 'embeddings.position_embeddings.weight');
  const typeEmb = get(w, 'embeddings.token_type_embeddings.weight');
  const pos = positionIds(cfg, ids);
  let x = ids.map((id, t) => {
    const e = new Float64Array(H);
    for (let j = 0; j < H; j++) e[j] = word[id * H + j] + posEmb[pos[t] * H + j] + typeEmb[j];
    return layerNorm(e, get(w, 'embeddings.LayerNorm.weight'), get(w, 'embeddings.LayerNorm.bias'), eps);
  });
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = (n: string) => get(w, `encoder.layer.${l}.${n}`);
    const lin = (n: string) => (v: Float64Array) => linear(v, p(`${n}.weight`), p(`${n}.bias`));
    const q = x.map(lin('attention.self.query'));
    const k = x.map(lin('attention.self.key'));
    const v = x.map(lin('attention.self.value'));
    const ctx = x.map(() => new Float64Array(H));
    for (let h = 0; h < nh; h++) {
      for (let i = 0; i < L; i++) {
        const scores = new Float64Array(L);
        for (let j = 0; j < L; j++) {
          let s = 0;
          for (let c = 0; c < d; c++) s += q[i][h * d + c] * k[j][h * d + c];
          scores[j] = s / Math.sqrt(d);
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < L; j++) for (let c = 0; c < d; c++) ctx[i][h * d + c] += (e[j] / z) * v[j][h * d + c];
      }
    }
    const a = ctx.map((c, i) => {
      const o = lin('attention.output.dense')(c).map((val, j) => val + x[i][j]);
      return layerNorm(o, p('attention.output.LayerNorm.weight'), p('attention.output.LayerNorm.bias'), eps);
    });
    x = a.map((ai) => {
      const inter = lin('intermediate.dense')(ai).map(act);
      const o = lin('output.dense')(inter).map((val, j) => val + ai[j]);
      return layerNorm(o, p('output.LayerNorm.weight'), p('output.LayerNorm.bias'), eps);
    });
  }
  return x;
}

/** sentence-transformers' Pooling (+ Normalize) over the tokens of one sequence. */
export function referencePool(h: Float64Array[], mode: RefPooling, normalize: boolean): Float64Array {
  const H = h[0].length;
  let out: Float64Array;
  if (mode === 'cls') out = h[0].slice();
  else if (mode === 'lasttoken') out = h[h.length - 1].slice();
  else if (mode === 'max') out = h.reduce((m, r) => m.map((v, j) => Math.max(v, r[j])), new Float64Array(H).fill(-Infinity));
  else out = h.reduce((s, r) => s.map((v, j) => v + r[j]), new Float64Array(H)).map((v) => v / h.length);
  if (!normalize) return out;
  const norm = Math.max(Math.hypot(...out), 1e-12);
  return out.map((v) => v / norm);
}

/** Token ids as Hugging Face truncates them: the first maxLen - 1 ids, then the closing special token. */
export function referenceTokenize(dir: string, texts: string[], maxLen: number): number[][] {
  const readJson = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  const tokCfg = fs.existsSync(path.join(dir, 'tokenizer_config.json')) ? readJson('tokenizer_config.json') : {};
  const tok = new Tokenizer(readJson('tokenizer.json'), tokCfg);
  return texts.map((t) => {
    const ids = tok.encode(t).ids;
    return ids.length <= maxLen ? ids : [...ids.slice(0, maxLen - 1), ids[ids.length - 1]];
  });
}

export function referenceEmbeddings(m: RefModel, ids: number[][]): Float64Array[] {
  return ids.map((seq) => referencePool(referenceHidden(m.config, m.weights, seq), m.pooling, m.normalize));
}

/** float32 tensors of a .safetensors file (F32 only: enough for the fixtures), read without densetrain. */
export function readF32Safetensors(file: string): RefWeights {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const out: RefWeights = new Map();
  for (const [name, info] of Object.entries<any>(header)) {
    if (name === '__metadata__') continue;
    if (info.dtype !== 'F32') throw new Error(`reference: ${file}: ${name} is ${info.dtype}`);
    const [b, e] = info.data_offsets;
    const bytes = buf.subarray(8 + n + b, 8 + n + e);
    const data = new Float32Array((e - b) / 4);
    for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(i * 4);
    out.set(name, { shape: info.shape, data });
  }
  return out;
}

/** Largest |a - b| over rows of equal shape. */
export function maxAbsDiff(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: ${a.length} rows vs ${b.length}`);
  let m = 0;
  a.forEach((r, i) => {
    if (r.length !== b[i].length) throw new Error(`maxAbsDiff: row ${i} has ${r.length} values vs ${b[i].length}`);
    for (let j = 0; j < r.length; j++) m = Math.max(m, Math.abs(r[j] - b[i][j]));
  });
  return m;
}
