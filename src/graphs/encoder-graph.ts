// The sentence encoder of a model folder as an ONNX graph: BERT, XLM-RoBERTa, RoBERTa, DistilBERT
// and MPNet (all post-LayerNorm; layerNames in config.ts gives each one's tensor names) followed by
// the folder's pooling and optional L2 normalisation, in standard ops only. The node
// pattern follows PyTorch's export of Hugging Face models (Div by √d after QKᵀ, erf GELU as
// Div→Erf→Add→Mul→Mul) so onnxruntime's graph optimiser recognises and fuses it.
//
// Inputs: input_ids, attention_mask and, for BERT, token_type_ids: int64 [batch, sequence]; with
// the training option `dropout`, also a float mask per dropout site (dropoutSites).
// Outputs: last_hidden_state [batch, sequence, hidden], sentence_embedding [batch, hidden].
import { firstLayerSite } from '../model/dropout-mask.js';
import { type EncoderConfig, hasPaddedPositions, hasTokenTypeInput, layerNames, MPNET_BUCKETS, MPNET_MAX_DISTANCE, positionPaddingIdx, RELATIVE_BIAS } from '../model/config.js';
import type { ModelFolder, PoolingMode } from '../model/folder.js';
import { toInOutLayout } from '../model/in-out-layout.js';
import type { HostTensor } from '../model/safetensors.js';
import { addInitializer, addInput, addOutput, constFloat, constInt64, createGraph, type Dim, type Graph, node, nodeN, onnx, reduce } from '../onnx/graph-builder.js';
import { buildModernBertGraph, modernBertDropoutSites } from './modernbert-graph.js';

/**
 * y = x·W + b for x [..., in]; `w` is [in, out] (transposed from PyTorch). Returns y's name.
 * Float by default; `int8Linear` (quantize.ts) swaps in dynamic int8 quantisation.
 */
export type Linear = (g: Graph, x: string, name: string, w: HostTensor, b: HostTensor) => string;

export const floatLinear: Linear = (g, x, name, w, b) => {
  const wName = addInitializer(g, `${name}.weight`, 'float', w.shape, w.data);
  const bName = addInitializer(g, `${name}.bias`, 'float', b.shape, b.data);
  return node(g, 'Add', [node(g, 'MatMul', [x, wName]), bName]);
};

/**
 * A place where training-mode dropout multiplies by a mask fed as input `name` (0 or 1/(1-rate)
 * per element). Numbered as the tfjs encoder seeds them (src/tfjs/encoder.ts): 0 the embeddings
 * output, then per layer i: 1+3i attention probabilities, 2+3i attention output dense, 3+3i FFN
 * output dense (DistilBERT has none there). Every mask's leading dim is the batch.
 */
export interface DropoutSite {
  site: number;
  name: string;
  rate: number;
  dims: Dim[];
}

/** Each site's rate and mask shape (the numbering is numberedSites'). */
export interface SiteRates {
  embeddings: number;
  attentionProbs: number;
  attentionOut: number;
  mlp: number;
  mlpDims: Dim[];
}

/**
 * The one numbering of dropout sites, for every architecture: 0 the embeddings output, then per
 * layer i: 1+3i the attention probabilities, 2+3i the attention output, 3+3i the MLP (its output
 * dense for BERT-style layers, ModernBERT's gated activation). Sites with rate 0 are left out.
 */
export function numberedSites(cfg: EncoderConfig, r: SiteRates, present: (site: number) => boolean = () => true): DropoutSite[] {
  const hidden: Dim[] = ['batch', 'sequence', cfg.hiddenSize];
  const all = [{ site: 0, rate: r.embeddings, dims: hidden }];
  for (let i = 0; i < cfg.numLayers; i++) {
    all.push(
      { site: firstLayerSite(i), rate: r.attentionProbs, dims: ['batch', cfg.numHeads, 'sequence', 'sequence'] },
      { site: firstLayerSite(i) + 1, rate: r.attentionOut, dims: hidden },
      { site: firstLayerSite(i) + 2, rate: r.mlp, dims: r.mlpDims },
    );
  }
  return all.filter((s) => s.rate > 0 && present(s.site)).map((s) => ({ ...s, name: `dropout_mask_${s.site}` }));
}

/** The dropout sites of an encoder whose rate is above 0. */
export function dropoutSites(cfg: EncoderConfig): DropoutSite[] {
  if (cfg.modernbert) return modernBertDropoutSites(cfg);
  const h = cfg.hiddenDropout;
  // DistilBERT applies no dropout to the attention output (out_lin) before sa_layer_norm.
  const present = (site: number) => cfg.modelType !== 'distilbert' || site === 0 || (site - 2) % 3 !== 0;
  return numberedSites(cfg, { embeddings: h, attentionProbs: cfg.attentionDropout, attentionOut: h, mlp: h, mlpDims: ['batch', 'sequence', cfg.hiddenSize] }, present);
}

/** float32's most negative value, as Hugging Face fills masked attention scores. */
export const MASK_VALUE = -3.4028234663852886e38;

interface Ctx {
  g: Graph;
  cfg: EncoderConfig;
  weight: (name: string) => HostTensor;
  linear: Linear;
  /** Dropout sites by number, when the graph is built for training. */
  dropout: Map<number, DropoutSite>;
}

/** x times its site's fed mask, or x itself when that site has no dropout. */
function drop(c: Ctx, x: string, site: number): string {
  const s = c.dropout.get(site);
  if (!s) return x;
  return node(c.g, 'Mul', [x, addInput(c.g, s.name, 'float', s.dims)]);
}

function layerNorm(c: Ctx, x: string, prefix: string): string {
  const gamma = addInitializer(c.g, `${prefix}.weight`, 'float', [c.cfg.hiddenSize], c.weight(`${prefix}.weight`).data);
  const beta = addInitializer(c.g, `${prefix}.bias`, 'float', [c.cfg.hiddenSize], c.weight(`${prefix}.bias`).data);
  return node(c.g, 'LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: { float: c.cfg.layerNormEps } });
}

function linear(c: Ctx, x: string, name: string): string {
  return c.linear(c.g, x, name, toInOutLayout(`${name}.weight`, c.weight(`${name}.weight`)), c.weight(`${name}.bias`));
}

function gelu(c: Ctx, x: string): string {
  return activation(c.g, c.cfg.activation, x);
}

/**
 * The config's GELU of x: exact (erf) for 'gelu', the tanh approximation for 'gelu_new'. From
 * opset 20 the Gelu op (the training graphs: its backward keeps x alone, vjp/unary.ts), before it
 * the composite that exporters write (onnxruntime fuses it).
 */
export function activation(g: Graph, act: EncoderConfig['activation'], x: string): string {
  if (g.opset >= 20) return node(g, 'Gelu', [x], act === 'gelu' ? {} : { approximate: 'tanh' });
  if (act === 'gelu') {
    const erf = node(g, 'Erf', [node(g, 'Div', [x, constFloat(g, Math.SQRT2)])]);
    return node(g, 'Mul', [node(g, 'Mul', [x, node(g, 'Add', [erf, constFloat(g, 1)])]), constFloat(g, 0.5)]);
  }
  // tanh approximation: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))
  const cube = node(g, 'Pow', [x, constFloat(g, 3)]);
  const inner = node(g, 'Mul', [node(g, 'Add', [x, node(g, 'Mul', [cube, constFloat(g, 0.044715)])]), constFloat(g, Math.sqrt(2 / Math.PI))]);
  const t = node(g, 'Add', [node(g, 'Tanh', [inner]), constFloat(g, 1)]);
  return node(g, 'Mul', [node(g, 'Mul', [x, constFloat(g, 0.5)]), t]);
}

/**
 * MPNet's relative position buckets [L, L] of input_ids [B, L]: transformers'
 * relative_position_bucket of (key position - query position), from the shape alone, in float32
 * as PyTorch computes it (the bucket edges at distances 16, 32, 64 hang on that rounding). They
 * are integers, so autodiff stops at them.
 */
export function mpnetBuckets(g: Graph, ids: string): string {
  const i64 = onnx.TensorProto.DataType.INT64, f32 = onnx.TensorProto.DataType.FLOAT;
  const half = MPNET_BUCKETS / 2, exact = half / 2;
  const len = node(g, 'Squeeze', [node(g, 'Shape', [ids], { start: 1, end: 2 }), constInt64(g, [0])]);
  const pos = node(g, 'Range', [constInt64(g, 0), len, constInt64(g, 1)]); // [L]
  // n = -(memory - context) = query position - key position: [L, L]
  const n = node(g, 'Sub', [node(g, 'Unsqueeze', [pos, constInt64(g, [1])]), node(g, 'Unsqueeze', [pos, constInt64(g, [0])])]);
  const side = node(g, 'Mul', [node(g, 'Cast', [node(g, 'Less', [n, constInt64(g, 0)])], { to: i64 }), constInt64(g, half)]);
  const abs = node(g, 'Abs', [n]);
  // max(n, 1) keeps Log finite where the small branch is taken anyway.
  const ratio = node(g, 'Div', [node(g, 'Cast', [node(g, 'Max', [abs, constInt64(g, 1)])], { to: f32 }), constFloat(g, exact)]);
  const scaled = node(g, 'Mul', [node(g, 'Div', [node(g, 'Log', [ratio]), constFloat(g, Math.log(MPNET_MAX_DISTANCE / exact))]), constFloat(g, half - exact)]);
  const large = node(g, 'Min', [node(g, 'Add', [node(g, 'Cast', [scaled], { to: i64 }), constInt64(g, exact)]), constInt64(g, half - 1)]);
  return node(g, 'Add', [side, node(g, 'Where', [node(g, 'Less', [abs, constInt64(g, exact)]), abs, large])]);
}

/** MPNet's relative position bias [1, nh, L, L], shared by every layer: the bias table's rows at the buckets. */
function relativePositionBias(c: Ctx, ids: string): string {
  const { g } = c;
  const t = c.weight(RELATIVE_BIAS);
  const table = addInitializer(g, RELATIVE_BIAS, 'float', t.shape, t.data);
  const values = node(g, 'Gather', [table, mpnetBuckets(g, ids)]); // [L, L, nh]
  return node(g, 'Unsqueeze', [node(g, 'Transpose', [values], { perm: [2, 0, 1] }), constInt64(g, [0])]);
}

/** word + position (+ token type, but for DistilBERT and MPNet) embeddings, then LayerNorm. -> [B, L, H] */
function embeddings(c: Ctx, ids: string, typeIds: string | undefined): string {
  const { g, cfg } = c;
  const table = (name: string, rows?: number) => {
    const t = c.weight(`embeddings.${name}.weight`);
    const shape = [rows ?? t.shape[0], t.shape[1]];
    return addInitializer(g, `embeddings.${name}.weight`, 'float', shape, t.data.subarray(0, shape[0] * shape[1]));
  };
  const words = node(g, 'Gather', [table('word_embeddings'), ids]);
  let positions: string;
  if (!hasPaddedPositions(cfg)) {
    // Positions 0..L-1: the first L rows of the table, broadcast over the batch.
    const len = node(g, 'Shape', [ids], { start: 1, end: 2 });
    positions = node(g, 'Slice', [table('position_embeddings'), constInt64(g, [0]), len, constInt64(g, [0])]);
  } else {
    // RoBERTa: non-pad tokens count up from padding_idx + 1; pads get padding_idx.
    const pad = constInt64(g, positionPaddingIdx(cfg));
    const notPad = node(g, 'Cast', [node(g, 'Not', [node(g, 'Equal', [ids, pad])])], { to: onnx.TensorProto.DataType.INT64 });
    const count = node(g, 'CumSum', [notPad, constInt64(g, 1)]);
    positions = node(g, 'Gather', [table('position_embeddings'), node(g, 'Add', [node(g, 'Mul', [count, notPad]), pad])]);
  }
  // XLM-R and RoBERTa have one token type and no token_type_ids input: its row is added to every token.
  let sum = words;
  if (typeIds !== undefined) sum = node(g, 'Add', [words, node(g, 'Gather', [table('token_type_embeddings'), typeIds])]);
  else if (cfg.typeVocabSize > 0) sum = node(g, 'Add', [words, table('token_type_embeddings', 1)]);
  sum = node(g, 'Add', [sum, positions]);
  return drop(c, layerNorm(c, sum, 'embeddings.LayerNorm'), 0);
}

/** One post-LN transformer layer over x [B, L, H] with mask bias [B, 1, 1, L] (and MPNet's position bias [1, nh, L, L]). */
function layer(c: Ctx, i: number, x: string, maskBias: string, positionBias: string | undefined): string {
  const { g, cfg } = c;
  const n = layerNames(cfg, i);
  const nh = cfg.numHeads, d = cfg.hiddenSize / nh;
  const site = firstLayerSite(i);
  const split = constInt64(g, [0, 0, nh, d]); // 0 copies the input's dimension
  const heads = (name: string, perm: number[]) =>
    node(g, 'Transpose', [node(g, 'Reshape', [linear(c, x, name), split])], { perm });
  const q = heads(n.query, [0, 2, 1, 3]); // [B, nh, L, d]
  const kT = heads(n.key, [0, 2, 3, 1]); // [B, nh, d, L]
  const v = heads(n.value, [0, 2, 1, 3]);
  let raw = node(g, 'Div', [node(g, 'MatMul', [q, kT]), constFloat(g, Math.sqrt(d))]);
  if (positionBias) raw = node(g, 'Add', [raw, positionBias]);
  const scores = node(g, 'Add', [raw, maskBias]);
  const ctx = node(g, 'MatMul', [drop(c, node(g, 'Softmax', [scores], { axis: -1 }), site), v]); // [B, nh, L, d]
  const merged = node(g, 'Reshape', [node(g, 'Transpose', [ctx], { perm: [0, 2, 1, 3] }), constInt64(g, [0, 0, cfg.hiddenSize])]);
  const a = layerNorm(c, node(g, 'Add', [drop(c, linear(c, merged, n.attentionOut), site + 1), x]), n.attentionNorm);
  const h = gelu(c, linear(c, a, n.ffnIn));
  return layerNorm(c, node(g, 'Add', [drop(c, linear(c, h, n.ffnOut), site + 2), a]), n.outputNorm);
}

/** Pool h [B, L, H] over the mask as sentence-transformers' Pooling. -> [B, H] */
function pool(g: Graph, h: string, maskF: string, mode: PoolingMode): string {
  const mask3 = node(g, 'Unsqueeze', [maskF, constInt64(g, [2])]); // [B, L, 1]
  switch (mode) {
    case 'mean': {
      const sum = reduce(g, 'ReduceSum', node(g, 'Mul', [h, mask3]), [1], false);
      const count = node(g, 'Max', [reduce(g, 'ReduceSum', mask3, [1], false), constFloat(g, 1e-9)]);
      return node(g, 'Div', [sum, count]);
    }
    case 'cls':
      return node(g, 'Gather', [h, constInt64(g, 0)], { axis: 1 });
    case 'max': {
      // sentence-transformers sets padded positions to -1e9 before the max.
      const keep = node(g, 'Greater', [mask3, constFloat(g, 0)]);
      return reduce(g, 'ReduceMax', node(g, 'Where', [keep, h, constFloat(g, -1e9)]), [1], false);
    }
    case 'lasttoken': {
      const last = node(g, 'ArgMax', [maskF], { axis: 1, keepdims: 1, select_last_index: 1 }); // [B, 1]
      return node(g, 'GatherND', [h, last], { batch_dims: 1 });
    }
  }
}

/** x / max(‖x‖₂, 1e-12), as torch.nn.functional.normalize. */
function l2Normalize(g: Graph, x: string): string {
  return node(g, 'Div', [x, node(g, 'Max', [reduce(g, 'ReduceL2', x, [-1], true), constFloat(g, 1e-12)])]);
}

/** The transformer of a folder in a fresh graph: its inputs through the last layer. */
export interface TransformerGraph {
  g: Graph;
  /** last_hidden_state [B, L, H], also a graph output. */
  hidden: string;
  /** attention_mask as float [B, L]. */
  maskF: string;
  /** A folder tensor by Hugging Face name, or a clear error naming the folder. */
  weight: (name: string) => HostTensor;
}

/** `dropout`: training mode, with a mask input per dropout site (see DropoutSite). */
export function buildTransformerGraph(folder: ModelFolder, opts: { opset: number; linear?: Linear; dropout?: boolean }): TransformerGraph {
  const cfg = folder.config;
  const weight = (name: string) => {
    const t = folder.weights.get(name);
    if (!t) throw new Error(`${folder.dir}: tensor "${name}" is missing`);
    return t;
  };
  const dropout = new Map(opts.dropout ? dropoutSites(cfg).map((s) => [s.site, s]) : []);
  if (cfg.modernbert) return buildModernBertGraph(folder, weight, { opset: opts.opset, linear: opts.linear, dropout });
  const g = createGraph(opts.opset);
  const c: Ctx = { g, cfg, weight, linear: opts.linear ?? floatLinear, dropout };
  const dims = ['batch', 'sequence'];
  const ids = addInput(g, 'input_ids', 'int64', dims);
  const mask = addInput(g, 'attention_mask', 'int64', dims);
  const typeIds = hasTokenTypeInput(cfg) ? addInput(g, 'token_type_ids', 'int64', dims) : undefined;

  const maskF = node(g, 'Cast', [mask], { to: onnx.TensorProto.DataType.FLOAT });
  const maskBias = node(g, 'Mul', [
    node(g, 'Sub', [constFloat(g, 1), node(g, 'Unsqueeze', [maskF, constInt64(g, [1, 2])])]),
    constFloat(g, MASK_VALUE),
  ]); // [B, 1, 1, L]
  let x = embeddings(c, ids, typeIds);
  const positionBias = cfg.relativeBuckets > 0 ? relativePositionBias(c, ids) : undefined;
  for (let i = 0; i < cfg.numLayers; i++) x = layer(c, i, x, maskBias, positionBias);
  nodeN(g, 'Identity', [x], ['last_hidden_state']);
  addOutput(g, 'last_hidden_state', 'float', ['batch', 'sequence', cfg.hiddenSize]);
  return { g, hidden: 'last_hidden_state', maskF, weight };
}

/**
 * The mask pooling uses when the folder's include_prompt is false: attention_mask with the first
 * `prompt_length` (an int64 [batch] input) positions of each row set to 0, as sentence-transformers
 * does. Positions come from the attention mask's running count, as rows are padded on the right.
 */
function withoutPrompt(g: Graph, maskF: string): string {
  const promptLength = addInput(g, 'prompt_length', 'int64', ['batch']);
  const position = node(g, 'CumSum', ['attention_mask', constInt64(g, 1)]); // 1-based among real tokens
  const keep = node(g, 'Greater', [position, node(g, 'Unsqueeze', [promptLength, constInt64(g, [1])])]);
  return node(g, 'Mul', [maskF, node(g, 'Cast', [keep], { to: onnx.TensorProto.DataType.FLOAT })]);
}

/**
 * The sentence encoder: the transformer, then the folder's pooling and normalisation. A folder
 * with include_prompt false gets the `prompt_length` input (see withoutPrompt) unless
 * `promptLength` is false: then every token is pooled, which is sentence-transformers' result for
 * texts encoded without a prompt (the exported file, which runtimes that feed only input_ids and
 * attention_mask, such as transformers.js, can run).
 */
export function buildEncoderGraph(folder: ModelFolder, opts: { opset: number; linear?: Linear; dropout?: boolean; promptLength?: boolean }): Graph {
  const { g, hidden, maskF } = buildTransformerGraph(folder, opts);
  const pooled = pool(g, hidden, !folder.includePrompt && opts.promptLength !== false ? withoutPrompt(g, maskF) : maskF, folder.pooling);
  node(g, 'Identity', [folder.normalize ? l2Normalize(g, pooled) : pooled], {}, 'sentence_embedding');
  addOutput(g, 'sentence_embedding', 'float', ['batch', folder.config.hiddenSize]);
  return g;
}
