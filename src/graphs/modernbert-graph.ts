// ModernBERT (transformers' ModernBertModel, sdpa/eager path) as an ONNX graph: token embeddings
// then LayerNorm, no position tables; pre-norm layers (the first without attn_norm) whose attention
// rotates queries and keys (RoPE, a theta for global and one for local layers) and, in local layers,
// sees only keys with |i - j| <= local_attention / 2; a GeGLU MLP (Wi gives input and gate); a
// final LayerNorm. Linear weights stay in PyTorch's [out, in] layout, transposed in the graph (for
// the onnxruntime optimiser, a constant fold), so the trained parameters are the folder's tensors as
// they are. Padding is a key mask, as transformers' padded path; its unpadded (flash) path gives
// the same values for the real tokens.
import { firstLayerSite } from '../model/dropout-mask.js';
import type { EncoderConfig } from '../model/config.js';
import type { ModelFolder } from '../model/folder.js';
import { MODERNBERT_WORD_EMBEDDINGS, type ModernBertOptions } from '../model/modernbert-config.js';
import type { HostTensor } from '../model/safetensors.js';
import { activation, type DropoutSite, floatLinear, type Linear, MASK_VALUE, numberedSites, type TransformerGraph } from './encoder-graph.js';
import { addInitializer, addInput, addOutput, constFloat, constInt64, createGraph, type Graph, node, nodeN, onnx } from '../onnx/graph-builder.js';

interface Ctx {
  g: Graph;
  cfg: EncoderConfig;
  m: ModernBertOptions;
  weight: (name: string) => HostTensor;
  /** Set for a quantised export: Linear layers go through it (with [in, out] host weights). */
  linear?: Linear;
  dropout: Map<number, DropoutSite>;
  /** Initializers already added, by tensor name. */
  added: Set<string>;
}

/**
 * Dropout sites, numbered as BERT's (encoder-graph.ts): 0 the embeddings (embedding_dropout), then
 * per layer i: 1+3i attention probabilities and 2+3i attention output (attention_dropout), 3+3i
 * the MLP's act(input) * gate before Wo (mlp_dropout).
 */
export function modernBertDropoutSites(cfg: EncoderConfig): DropoutSite[] {
  const m = cfg.modernbert!;
  return numberedSites(cfg, {
    embeddings: m.embeddingDropout,
    attentionProbs: cfg.attentionDropout,
    attentionOut: cfg.attentionDropout,
    mlp: m.mlpDropout,
    mlpDims: ['batch', 'sequence', cfg.intermediateSize],
  });
}

function drop(c: Ctx, x: string, site: number): string {
  const s = c.dropout.get(site);
  return s ? node(c.g, 'Mul', [x, addInput(c.g, s.name, 'float', s.dims)]) : x;
}

/** A folder tensor as an initializer, added once however often it is read. */
function param(c: Ctx, name: string): string {
  if (!c.added.has(name)) {
    const t = c.weight(name);
    addInitializer(c.g, name, 'float', t.shape, t.data);
    c.added.add(name);
  }
  return name;
}

/** LayerNorm over the last axis, with a bias only where norm_bias says so. */
function layerNorm(c: Ctx, x: string, prefix: string): string {
  const inputs = [x, param(c, `${prefix}.weight`)];
  if (c.m.normBias) inputs.push(param(c, `${prefix}.bias`));
  return node(c.g, 'LayerNormalization', inputs, { axis: -1, epsilon: { float: c.cfg.layerNormEps } });
}

/** Rows [start, end) of a 2-D host tensor, transposed: the [in, out] weight of that slice of outputs. */
function hostRowsTransposed(t: HostTensor, start: number, end: number): HostTensor {
  const cols = t.shape[1], rows = end - start;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = t.data[(start + r) * cols + k];
  return { shape: [cols, rows], data: out };
}

/**
 * x · W[start:end]ᵀ (+ b[start:end]) for the Linear `name` (weight [out, in]): outputs start..end-1,
 * so Wqkv's q, k, v and Wi's input and gate are separate products without slicing activations.
 */
function linear(c: Ctx, x: string, name: string, bias: boolean, rows?: [number, number]): string {
  const { g } = c;
  const w = c.weight(`${name}.weight`);
  const [start, end] = rows ?? [0, w.shape[0]];
  if (c.linear) {
    const b = bias ? c.weight(`${name}.bias`).data.slice(start, end) : new Float32Array(end - start);
    return c.linear(g, x, `${name}.${start}_${end}`, hostRowsTransposed(w, start, end), { shape: [end - start], data: b });
  }
  const whole = end - start === w.shape[0];
  const slice = (t: string) => (whole ? t : node(g, 'Slice', [t, constInt64(g, [start]), constInt64(g, [end]), constInt64(g, [0])]));
  const y = node(g, 'MatMul', [x, node(g, 'Transpose', [slice(param(c, `${name}.weight`))], { perm: [1, 0] })]);
  return bias ? node(g, 'Add', [y, slice(param(c, `${name}.bias`))]) : y;
}

/**
 * cos and sin of RoPE for positions 0..L-1, [L, d] each (L the input's sequence length): tables for
 * every position up to max_position_embeddings, sliced. In float32 as transformers computes them:
 * inv_freq = 1 / θ^(2i/d), angle = position · inv_freq, both halves of d alike.
 */
function rotaryTables(c: Ctx, theta: number, seqLen: string): [string, string] {
  const d = c.cfg.hiddenSize / c.cfg.numHeads, rows = c.cfg.maxPositions;
  const f = Math.fround;
  const invFreq = Array.from({ length: d / 2 }, (_, i) => f(1 / f(Math.pow(theta, f((2 * i) / d)))));
  const cos = new Float32Array(rows * d), sin = new Float32Array(rows * d);
  for (let p = 0; p < rows; p++) {
    for (let j = 0; j < d; j++) {
      const angle = f(p * invFreq[j % (d / 2)]);
      cos[p * d + j] = Math.cos(angle);
      sin[p * d + j] = Math.sin(angle);
    }
  }
  const table = (kind: string, data: Float32Array) => {
    const name = addInitializer(c.g, `rotary_${kind}_theta_${theta}`, 'float', [rows, d], data);
    return node(c.g, 'Slice', [name, constInt64(c.g, [0]), seqLen, constInt64(c.g, [0])]);
  };
  return [table('cos', cos), table('sin', sin)];
}

/** The [d, d] matrix R with x·R = rotate_half(x) = concat(-x[d/2:], x[:d/2]) along the last axis. */
function rotateHalfMatrix(g: Graph, d: number): string {
  const r = new Array<number>(d * d).fill(0);
  for (let j = 0; j < d / 2; j++) {
    r[(j + d / 2) * d + j] = -1;
    r[j * d + j + d / 2] = 1;
  }
  return constFloat(g, r, [d, d]);
}

/** q·cos + rotate_half(q)·sin for q [B, nh, L, d]. */
function rotate(c: Ctx, x: string, [cos, sin]: [string, string]): string {
  const { g } = c;
  const rotated = node(g, 'MatMul', [x, rotateHalfMatrix(g, c.cfg.hiddenSize / c.cfg.numHeads)]);
  return node(g, 'Add', [node(g, 'Mul', [x, cos]), node(g, 'Mul', [rotated, sin])]);
}

/**
 * Attention bias for local layers, [B, 1, L, L]: 0 where the key is a real token within
 * local_attention / 2 of the query, float32's minimum elsewhere (transformers' sliding_window_mask).
 * Min, not a sum, of the two masks, so a query of padding with no key left stays finite.
 */
function slidingBias(c: Ctx, keyBias: string, ids: string): string {
  const { g } = c;
  const len = node(g, 'Gather', [node(g, 'Shape', [ids]), constInt64(g, 1)]);
  const pos = node(g, 'Range', [constInt64(g, 0), len, constInt64(g, 1)]); // [L]
  const distance = node(g, 'Abs', [node(g, 'Sub', [node(g, 'Unsqueeze', [pos, constInt64(g, [1])]), node(g, 'Unsqueeze', [pos, constInt64(g, [0])])])]);
  const inside = node(g, 'LessOrEqual', [distance, constInt64(g, Math.floor(c.m.localWindow / 2))]);
  return node(g, 'Min', [keyBias, node(g, 'Where', [inside, constFloat(g, 0), constFloat(g, MASK_VALUE)])]);
}

/** One pre-norm layer: x + attn(attn_norm(x)), then + mlp(mlp_norm(x)). */
function layer(c: Ctx, i: number, x: string, bias: string, rope: [string, string]): string {
  const { g, cfg, m } = c;
  const p = `layers.${i}.`;
  const H = cfg.hiddenSize, nh = cfg.numHeads, d = H / nh, F = cfg.intermediateSize;
  const site = firstLayerSite(i);
  const xn = i === 0 ? x : layerNorm(c, x, `${p}attn_norm`); // transformers: Identity in layer 0
  // Wqkv's outputs are q, k, v in thirds, each nh heads of d: [B, L, H] -> [B, nh, L, d].
  const heads = (part: number) => {
    const y = linear(c, xn, `${p}attn.Wqkv`, m.attentionBias, [part * H, (part + 1) * H]);
    return node(g, 'Transpose', [node(g, 'Reshape', [y, constInt64(g, [0, 0, nh, d])])], { perm: [0, 2, 1, 3] });
  };
  const q = rotate(c, heads(0), rope), k = rotate(c, heads(1), rope), v = heads(2);
  const kT = node(g, 'Transpose', [k], { perm: [0, 1, 3, 2] });
  const scores = node(g, 'Add', [node(g, 'Div', [node(g, 'MatMul', [q, kT]), constFloat(g, Math.sqrt(d))]), bias]);
  const ctx = node(g, 'MatMul', [drop(c, node(g, 'Softmax', [scores], { axis: -1 }), site), v]);
  const merged = node(g, 'Reshape', [node(g, 'Transpose', [ctx], { perm: [0, 2, 1, 3] }), constInt64(g, [0, 0, H])]);
  const attended = node(g, 'Add', [x, drop(c, linear(c, merged, `${p}attn.Wo`, m.attentionBias), site + 1)]);
  const h = layerNorm(c, attended, `${p}mlp_norm`);
  const input = linear(c, h, `${p}mlp.Wi`, m.mlpBias, [0, F]), gate = linear(c, h, `${p}mlp.Wi`, m.mlpBias, [F, 2 * F]);
  const glu = drop(c, node(g, 'Mul', [activation(g, cfg.activation, input), gate]), site + 2);
  return node(g, 'Add', [attended, linear(c, glu, `${p}mlp.Wo`, m.mlpBias)]);
}

/** ModernBERT's transformer in a fresh graph: input_ids, attention_mask -> last_hidden_state. */
export function buildModernBertGraph(folder: ModelFolder, weight: (name: string) => HostTensor, opts: { opset: number; linear?: Linear; dropout?: Map<number, DropoutSite> }): TransformerGraph {
  const g = createGraph(opts.opset);
  const cfg = folder.config;
  const c: Ctx = { g, cfg, m: cfg.modernbert!, weight, linear: opts.linear === floatLinear ? undefined : opts.linear, dropout: opts.dropout ?? new Map(), added: new Set() };
  const dims = ['batch', 'sequence'];
  const ids = addInput(g, 'input_ids', 'int64', dims);
  const mask = addInput(g, 'attention_mask', 'int64', dims);
  const maskF = node(g, 'Cast', [mask], { to: onnx.TensorProto.DataType.FLOAT });
  const keyBias = node(g, 'Mul', [node(g, 'Sub', [constFloat(g, 1), node(g, 'Unsqueeze', [maskF, constInt64(g, [1, 2])])]), constFloat(g, MASK_VALUE)]); // [B, 1, 1, L]
  const anyLocal = c.m.globalLayers.some((global) => !global);
  const localBias = anyLocal ? slidingBias(c, keyBias, ids) : keyBias;
  const seqLen = node(g, 'Shape', [ids], { start: 1, end: 2 });
  // One pair of tables per theta, shared by the layers of that type.
  const ropes = new Map<number, [string, string]>();
  const rope = (theta: number) => {
    if (!ropes.has(theta)) ropes.set(theta, rotaryTables(c, theta, seqLen));
    return ropes.get(theta)!;
  };

  let x = drop(c, layerNorm(c, node(g, 'Gather', [param(c, MODERNBERT_WORD_EMBEDDINGS), ids]), 'embeddings.norm'), 0);
  c.m.globalLayers.forEach((global, i) => {
    x = layer(c, i, x, global ? keyBias : localBias, rope(global ? c.m.globalRopeTheta : c.m.localRopeTheta));
  });
  nodeN(g, 'Identity', [layerNorm(c, x, 'final_norm')], ['last_hidden_state']);
  addOutput(g, 'last_hidden_state', 'float', ['batch', 'sequence', cfg.hiddenSize]);
  return { g, hidden: 'last_hidden_state', maskF, weight };
}
