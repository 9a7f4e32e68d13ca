// The encoder's shape and behaviour, read from a Hugging Face config.json (BERT, XLM-RoBERTa,
// ModernBERT: its own keys in modernbert-config.ts).
import fs from 'node:fs';
import path from 'node:path';
import { type ModernBertOptions, modernBertWeightShapes, parseModernBertOptions } from './modernbert-config.js';

export type Activation = 'gelu' | 'gelu_new';
export type Architecture = 'bert' | 'xlm-roberta' | 'modernbert';

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

export function parseConfig(raw: Record<string, any>, file = 'config.json'): EncoderConfig {
  const modelType = raw.model_type;
  if (modelType === 'modernbert') return parseModernBertConfig(raw, file);
  if (modelType !== 'bert' && modelType !== 'xlm-roberta') {
    throw new Error(`${file}: model_type "${modelType}" is not supported (densetrain reads "bert" and "xlm-roberta")`);
  }
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (!Number.isInteger(v) || v < 0) throw new Error(`${file}: "${key}" must be a non-negative integer, got ${JSON.stringify(raw[key])}`);
    return v;
  };
  // Relative position embeddings (Shaw et al.) change attention itself; neither engine nor the export computes them.
  const positions = raw.position_embedding_type ?? 'absolute';
  if (positions !== 'absolute') throw new Error(`${file}: position_embedding_type "${positions}" is not supported (densetrain computes "absolute")`);
  const act = raw.hidden_act ?? 'gelu';
  const activation = ACTIVATIONS[act];
  if (!activation) throw new Error(`${file}: hidden_act "${act}" is not supported (gelu, gelu_new, gelu_pytorch_tanh)`);
  const cfg: EncoderConfig = {
    modelType,
    vocabSize: int('vocab_size'),
    hiddenSize: int('hidden_size'),
    numLayers: int('num_hidden_layers'),
    numHeads: int('num_attention_heads'),
    intermediateSize: int('intermediate_size'),
    maxPositions: int('max_position_embeddings'),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps: typeof raw.layer_norm_eps === 'number' ? raw.layer_norm_eps : 1e-12,
    activation,
    padTokenId: int('pad_token_id', modelType === 'bert' ? 0 : 1),
    hiddenDropout: typeof raw.hidden_dropout_prob === 'number' ? raw.hidden_dropout_prob : 0.1,
    attentionDropout: typeof raw.attention_probs_dropout_prob === 'number' ? raw.attention_probs_dropout_prob : 0.1,
    raw,
  };
  if (cfg.hiddenSize % cfg.numHeads !== 0) {
    throw new Error(`${file}: hidden_size ${cfg.hiddenSize} is not divisible by num_attention_heads ${cfg.numHeads}`);
  }
  return cfg;
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
    raw,
    modernbert,
  };
  if (cfg.hiddenSize % cfg.numHeads !== 0 || (cfg.hiddenSize / cfg.numHeads) % 2 !== 0) {
    throw new Error(`${file}: hidden_size ${cfg.hiddenSize} / num_attention_heads ${cfg.numHeads} must be a whole, even head size (rotary embeddings rotate pairs)`);
  }
  return cfg;
}

/** The longest token sequence the position table holds: XLM-RoBERTa's positions start at padding_idx + 1. */
export function positionLimit(c: EncoderConfig): number {
  return c.modelType === 'xlm-roberta' ? c.maxPositions - c.padTokenId - 1 : c.maxPositions;
}

/** Explain why `maxSeqLength` (from `source`) does not fit the position table of `configFile`, or null. */
export function maxSeqLengthProblem(maxSeqLength: number, c: EncoderConfig, configFile: string, source: string): string | null {
  const limit = positionLimit(c);
  if (maxSeqLength <= limit) return null;
  const offset = limit === c.maxPositions ? '' : ` minus padding_idx + 1 = ${c.padTokenId + 1} for ${c.modelType}`;
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

/**
 * The Hugging Face weight names of the encoder, with their shapes. XLM-RoBERTa checkpoints use the
 * same names as BERT (prefix-free, as sentence-transformers saves them). The pooler is not part of
 * the sentence encoder; it is kept as read when present.
 */
export function weightShapes(c: EncoderConfig): Map<string, number[]> {
  const h = c.hiddenSize, f = c.intermediateSize;
  if (c.modernbert) return modernBertWeightShapes(c.modernbert, c.vocabSize, h, f);
  const m = new Map<string, number[]>([
    ['embeddings.word_embeddings.weight', [c.vocabSize, h]],
    ['embeddings.position_embeddings.weight', [c.maxPositions, h]],
    ['embeddings.token_type_embeddings.weight', [c.typeVocabSize, h]],
    ['embeddings.LayerNorm.weight', [h]],
    ['embeddings.LayerNorm.bias', [h]],
  ]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `encoder.layer.${i}.`;
    for (const n of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      m.set(`${p}${n}.weight`, [h, h]);
      m.set(`${p}${n}.bias`, [h]);
    }
    m.set(`${p}attention.output.LayerNorm.weight`, [h]);
    m.set(`${p}attention.output.LayerNorm.bias`, [h]);
    m.set(`${p}intermediate.dense.weight`, [f, h]);
    m.set(`${p}intermediate.dense.bias`, [f]);
    m.set(`${p}output.dense.weight`, [h, f]);
    m.set(`${p}output.dense.bias`, [h]);
    m.set(`${p}output.LayerNorm.weight`, [h]);
    m.set(`${p}output.LayerNorm.bias`, [h]);
  }
  return m;
}
