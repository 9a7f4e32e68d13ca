// The encoder's shape and behaviour, read from a Hugging Face config.json (BERT, XLM-RoBERTa,
// RoBERTa, DistilBERT, MPNet, and ModernBERT with its own keys in modernbert-config.ts), and each
// architecture's tensor names.
import fs from 'node:fs';
import path from 'node:path';
import { isModernBertNorm, type ModernBertOptions, modernBertWeightShapes, parseModernBertOptions } from './modernbert-config.js';

export type Activation = 'gelu' | 'gelu_new';
export type Architecture = 'bert' | 'xlm-roberta' | 'roberta' | 'distilbert' | 'mpnet' | 'modernbert';
export const ARCHITECTURES: Architecture[] = ['bert', 'xlm-roberta', 'roberta', 'distilbert', 'mpnet', 'modernbert'];
/** The architectures the tfjs encoder (encoder.ts) computes; the others run on the onnx engine only. */
export const TFJS_ARCHITECTURES: Architecture[] = ['bert', 'xlm-roberta'];

export interface EncoderConfig {
  modelType: Architecture;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  /** 'gelu' is the exact (erf) GELU; 'gelu_new' the tanh approximation. */
  activation: Activation;
  padTokenId: number;
  /** Dropout rates used in training (Hugging Face's hidden_dropout_prob, attention_probs_dropout_prob). */
  hiddenDropout: number;
  attentionDropout: number;
  /** MPNet: rows of the relative attention bias table (relative_attention_num_buckets); 0 for the others. */
  relativeBuckets: number;
  /** The config.json object as read, written back unchanged on save. */
  raw: Record<string, unknown>;
  /** ModernBERT's attention layout, rotary embeddings and biases (model_type modernbert only). */
  modernbert?: ModernBertOptions;
}

const ACTIVATIONS: Record<string, Activation> = {
  gelu: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
};

/** A config.json reader for one key: a non-negative integer, with an optional fallback. */
function intReader(raw: Record<string, any>, file: string) {
  return (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (!Number.isInteger(v) || v < 0) throw new Error(`${file}: "${key}" must be a non-negative integer, got ${JSON.stringify(raw[key])}`);
    return v;
  };
}

function readActivation(raw: Record<string, any>, key: string, file: string): Activation {
  const act = raw[key] ?? 'gelu';
  const activation = ACTIVATIONS[act];
  if (!activation) throw new Error(`${file}: ${key} "${act}" is not supported (gelu, gelu_new, gelu_pytorch_tanh)`);
  return activation;
}

function checkHeads(cfg: EncoderConfig, file: string, hiddenKey: string, headsKey: string): EncoderConfig {
  if (cfg.numHeads === 0 || cfg.hiddenSize % cfg.numHeads !== 0) {
    throw new Error(`${file}: ${hiddenKey} ${cfg.hiddenSize} is not divisible by ${headsKey} ${cfg.numHeads}`);
  }
  return cfg;
}

/** DistilBERT names its keys differently (dim, n_layers, ...) and fixes LayerNorm's eps at 1e-12. */
function parseDistilBertConfig(raw: Record<string, any>, file: string): EncoderConfig {
  const int = intReader(raw, file);
  // The sinusoidal table is frozen in transformers (requires_grad False); densetrain trains every table.
  if (raw.sinusoidal_pos_embds === true) throw new Error(`${file}: sinusoidal_pos_embds true is not supported (densetrain trains the position table; transformers freezes it)`);
  const rate = (key: string) => (typeof raw[key] === 'number' ? raw[key] : 0.1);
  return checkHeads({
    modelType: 'distilbert',
    vocabSize: int('vocab_size'),
    hiddenSize: int('dim'),
    numLayers: int('n_layers'),
    numHeads: int('n_heads'),
    intermediateSize: int('hidden_dim'),
    maxPositions: int('max_position_embeddings'),
    typeVocabSize: 0,
    layerNormEps: 1e-12,
    activation: readActivation(raw, 'activation', file),
    padTokenId: int('pad_token_id', 0),
    hiddenDropout: rate('dropout'),
    attentionDropout: rate('attention_dropout'),
    relativeBuckets: 0,
    raw,
  }, file, 'dim', 'n_heads');
}

export function parseConfig(raw: Record<string, any>, file = 'config.json'): EncoderConfig {
  const modelType = raw.model_type;
  if (!ARCHITECTURES.includes(modelType)) {
    throw new Error(`${file}: model_type "${modelType}" is not supported (densetrain reads ${ARCHITECTURES.map((a) => `"${a}"`).join(', ')})`);
  }
  if (modelType === 'distilbert') return parseDistilBertConfig(raw, file);
  if (modelType === 'modernbert') return parseModernBertConfig(raw, file);
  const int = intReader(raw, file);
  // Relative position embeddings (Shaw et al.) change attention itself; neither engine nor the export computes them.
  const positions = raw.position_embedding_type ?? 'absolute';
  if (positions !== 'absolute') throw new Error(`${file}: position_embedding_type "${positions}" is not supported (densetrain computes "absolute")`);
  const mpnet = modelType === 'mpnet';
  const cfg: EncoderConfig = {
    modelType,
    vocabSize: int('vocab_size'),
    hiddenSize: int('hidden_size'),
    numLayers: int('num_hidden_layers'),
    numHeads: int('num_attention_heads'),
    intermediateSize: int('intermediate_size'),
    maxPositions: int('max_position_embeddings'),
    typeVocabSize: mpnet ? 0 : int('type_vocab_size', 2),
    layerNormEps: typeof raw.layer_norm_eps === 'number' ? raw.layer_norm_eps : 1e-12,
    activation: readActivation(raw, 'hidden_act', file),
    padTokenId: int('pad_token_id', modelType === 'bert' ? 0 : 1),
    hiddenDropout: typeof raw.hidden_dropout_prob === 'number' ? raw.hidden_dropout_prob : 0.1,
    attentionDropout: typeof raw.attention_probs_dropout_prob === 'number' ? raw.attention_probs_dropout_prob : 0.1,
    relativeBuckets: mpnet ? int('relative_attention_num_buckets', 32) : 0,
    raw,
  };
  // transformers' MPNetEncoder always buckets into 32 (compute_position_bias's default), whatever the table holds.
  if (mpnet && cfg.relativeBuckets < MPNET_BUCKETS) {
    throw new Error(`${file}: relative_attention_num_buckets ${cfg.relativeBuckets} is below the ${MPNET_BUCKETS} buckets MPNet computes`);
  }
  return checkHeads(cfg, file, 'hidden_size', 'num_attention_heads');
}

/** ModernBERT: no position or token type tables; norm_eps, hidden_activation, dropouts of its own. */
function parseModernBertConfig(raw: Record<string, any>, file: string): EncoderConfig {
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (!Number.isInteger(v) || v < 1) throw new Error(`${file}: "${key}" must be a positive integer, got ${JSON.stringify(raw[key])}`);
    return v;
  };
  const act = raw.hidden_activation ?? 'gelu';
  const activation = ACTIVATIONS[act];
  if (!activation) throw new Error(`${file}: hidden_activation "${act}" is not supported (gelu, gelu_new, gelu_pytorch_tanh)`);
  const numLayers = int('num_hidden_layers');
  const modernbert = parseModernBertOptions(raw, numLayers, file);
  const cfg: EncoderConfig = {
    modelType: 'modernbert',
    vocabSize: int('vocab_size'),
    hiddenSize: int('hidden_size'),
    numLayers,
    numHeads: int('num_attention_heads'),
    intermediateSize: int('intermediate_size'),
    maxPositions: int('max_position_embeddings', 8192),
    typeVocabSize: 0,
    layerNormEps: typeof raw.norm_eps === 'number' ? raw.norm_eps : 1e-5,
    activation,
    padTokenId: Number.isInteger(raw.pad_token_id) ? raw.pad_token_id : 50283,
    hiddenDropout: modernbert.embeddingDropout,
    attentionDropout: typeof raw.attention_dropout === 'number' ? raw.attention_dropout : 0,
    relativeBuckets: 0,
    raw,
    modernbert,
  };
  if (cfg.hiddenSize % cfg.numHeads !== 0 || (cfg.hiddenSize / cfg.numHeads) % 2 !== 0) {
    throw new Error(`${file}: hidden_size ${cfg.hiddenSize} / num_attention_heads ${cfg.numHeads} must be a whole, even head size (rotary embeddings rotate pairs)`);
  }
  return cfg;
}

/** The relative-position buckets MPNet uses (transformers' compute_position_bias default), and their max distance. */
export const MPNET_BUCKETS = 32;
export const MPNET_MAX_DISTANCE = 128;

/** Only BERT takes token_type_ids; XLM-R and RoBERTa add their single token type row to every token. */
export function hasTokenTypeInput(c: EncoderConfig): boolean {
  return c.modelType === 'bert';
}

/** RoBERTa-style positions (non-pad tokens count from padding_idx + 1) rather than 0..L-1. */
export function hasPaddedPositions(c: EncoderConfig): boolean {
  return c.modelType === 'xlm-roberta' || c.modelType === 'roberta' || c.modelType === 'mpnet';
}

/** The padding_idx positions count from: MPNet's embeddings fix it at 1 whatever pad_token_id says. */
export function positionPaddingIdx(c: EncoderConfig): number {
  return c.modelType === 'mpnet' ? 1 : c.padTokenId;
}

/** The longest token sequence the position table holds: RoBERTa-style positions start at padding_idx + 1. */
export function positionLimit(c: EncoderConfig): number {
  return hasPaddedPositions(c) ? c.maxPositions - positionPaddingIdx(c) - 1 : c.maxPositions;
}

/** Explain why `maxSeqLength` (from `source`) does not fit the position table of `configFile`, or null. */
export function maxSeqLengthProblem(maxSeqLength: number, c: EncoderConfig, configFile: string, source: string): string | null {
  const limit = positionLimit(c);
  if (maxSeqLength <= limit) return null;
  const offset = limit === c.maxPositions ? '' : ` minus padding_idx + 1 = ${positionPaddingIdx(c) + 1} for ${c.modelType}`;
  return `${source}: max_seq_length ${maxSeqLength} is more than the ${limit} positions the model has (${configFile}: max_position_embeddings ${c.maxPositions}${offset}); use at most ${limit}`;
}

export function readConfig(dir: string): EncoderConfig {
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: missing (is ${dir} a Hugging Face or sentence-transformers model folder?)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${file}: must hold a JSON object`);
  return parseConfig(raw as Record<string, any>, file);
}

/** The module names (weights are `<name>.weight`, `<name>.bias`) of one transformer layer. */
export interface LayerNames {
  query: string;
  key: string;
  value: string;
  attentionOut: string;
  attentionNorm: string;
  ffnIn: string;
  ffnOut: string;
  outputNorm: string;
}

/** Layer i's module names in the architecture's own naming (as sentence-transformers saves them). */
export function layerNames(c: EncoderConfig, i: number): LayerNames {
  if (c.modelType === 'distilbert') {
    const p = `transformer.layer.${i}.`;
    return {
      query: `${p}attention.q_lin`, key: `${p}attention.k_lin`, value: `${p}attention.v_lin`, attentionOut: `${p}attention.out_lin`,
      attentionNorm: `${p}sa_layer_norm`, ffnIn: `${p}ffn.lin1`, ffnOut: `${p}ffn.lin2`, outputNorm: `${p}output_layer_norm`,
    };
  }
  const p = `encoder.layer.${i}.`;
  const common = { ffnIn: `${p}intermediate.dense`, ffnOut: `${p}output.dense`, outputNorm: `${p}output.LayerNorm` };
  if (c.modelType === 'mpnet') {
    return { query: `${p}attention.attn.q`, key: `${p}attention.attn.k`, value: `${p}attention.attn.v`, attentionOut: `${p}attention.attn.o`, attentionNorm: `${p}attention.LayerNorm`, ...common };
  }
  return {
    query: `${p}attention.self.query`, key: `${p}attention.self.key`, value: `${p}attention.self.value`, attentionOut: `${p}attention.output.dense`,
    attentionNorm: `${p}attention.output.LayerNorm`, ...common,
  };
}

/** MPNet's relative attention bias table [relative_attention_num_buckets, heads], shared by every layer. */
export const RELATIVE_BIAS = 'encoder.relative_attention_bias.weight';

/**
 * The parameters of the encoder's normalisation layers (by module, whatever they are named):
 * AdamW leaves them undecayed, as transformers' Trainer does for LayerNorm modules.
 */
export function normParameterNames(c: EncoderConfig): Set<string> {
  if (c.modernbert) return new Set([...weightShapes(c).keys()].filter(isModernBertNorm));
  const modules = ['embeddings.LayerNorm'];
  for (let i = 0; i < c.numLayers; i++) {
    const n = layerNames(c, i);
    modules.push(n.attentionNorm, n.outputNorm);
  }
  return new Set(modules.flatMap((m) => [`${m}.weight`, `${m}.bias`]));
}

/**
 * The Hugging Face weight names of the encoder, with their shapes, prefix-free as
 * sentence-transformers saves them. The pooler is not part of the sentence encoder; it is kept as
 * read when present.
 */
export function weightShapes(c: EncoderConfig): Map<string, number[]> {
  const h = c.hiddenSize, f = c.intermediateSize;
  if (c.modernbert) return modernBertWeightShapes(c.modernbert, c.vocabSize, h, f);
  const m = new Map<string, number[]>([
    ['embeddings.word_embeddings.weight', [c.vocabSize, h]],
    ['embeddings.position_embeddings.weight', [c.maxPositions, h]],
  ]);
  if (c.typeVocabSize > 0) m.set('embeddings.token_type_embeddings.weight', [c.typeVocabSize, h]);
  m.set('embeddings.LayerNorm.weight', [h]);
  m.set('embeddings.LayerNorm.bias', [h]);
  if (c.relativeBuckets > 0) m.set(RELATIVE_BIAS, [c.relativeBuckets, c.numHeads]);
  const linear = (name: string, out: number, inp: number) => {
    m.set(`${name}.weight`, [out, inp]);
    m.set(`${name}.bias`, [out]);
  };
  for (let i = 0; i < c.numLayers; i++) {
    const n = layerNames(c, i);
    for (const x of [n.query, n.key, n.value, n.attentionOut]) linear(x, h, h);
    m.set(`${n.attentionNorm}.weight`, [h]);
    m.set(`${n.attentionNorm}.bias`, [h]);
    linear(n.ffnIn, f, h);
    linear(n.ffnOut, h, f);
    m.set(`${n.outputNorm}.weight`, [h]);
    m.set(`${n.outputNorm}.bias`, [h]);
  }
  return m;
}
