// ModernBERT's config.json (Warner et al. 2024, transformers' ModernBertConfig) in both forms:
// the Hub's (`global_attn_every_n_layers`, `global_rope_theta`, `local_rope_theta`) and
// transformers 5's (`layer_types`, `rope_parameters` per layer type); plus its weight names.
// Layer i is global (full attention) when i % global_attn_every_n_layers == 0, else it sees only
// keys with |i - j| <= local_attention / 2 (transformers' sliding_window_mask).

export interface ModernBertOptions {
  /** Per layer: true for full (global) attention, false for sliding-window attention. */
  globalLayers: boolean[];
  globalRopeTheta: number;
  localRopeTheta: number;
  /** `local_attention`: the sliding window's width; a token sees |i - j| <= floor(window / 2). */
  localWindow: number;
  attentionBias: boolean;
  mlpBias: boolean;
  normBias: boolean;
  embeddingDropout: number;
  mlpDropout: number;
}

/** The word embedding table: ModernBERT's name for BERT's embeddings.word_embeddings. */
export const MODERNBERT_WORD_EMBEDDINGS = 'embeddings.tok_embeddings.weight';

type Raw = Record<string, any>;

function num(raw: Raw, key: string, file: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${file}: "${key}" must be a number, got ${JSON.stringify(raw[key])}`);
  return v;
}

function bool(raw: Raw, key: string, file: string, fallback: boolean): boolean {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'boolean') throw new Error(`${file}: "${key}" must be true or false, got ${JSON.stringify(raw[key])}`);
  return v;
}

/** Which layers are global: `layer_types` when present, else every `global_attn_every_n_layers`-th. */
function globalLayers(raw: Raw, numLayers: number, file: string): boolean[] {
  if (raw.layer_types !== undefined && raw.layer_types !== null) {
    const types = raw.layer_types;
    if (!Array.isArray(types) || types.length !== numLayers) {
      throw new Error(`${file}: "layer_types" must list one type per layer (${numLayers}), got ${JSON.stringify(types)}`);
    }
    const global = types.map((t, i) => {
      if (t !== 'full_attention' && t !== 'sliding_attention') {
        throw new Error(`${file}: layer_types[${i}] "${t}" is not supported (full_attention, sliding_attention)`);
      }
      return t === 'full_attention';
    });
    // transformers' ModernBertAttention has taken the window from global_attn_every_n_layers and
    // the rotary theta from layer_types: where they differ, which layout it computes is unclear.
    const every = raw.global_attn_every_n_layers;
    const clash = Number.isInteger(every) && every > 0 ? global.findIndex((g, i) => g !== (i % every === 0)) : -1;
    if (clash >= 0) {
      throw new Error(`${file}: layer_types[${clash}] "${types[clash]}" disagrees with "global_attn_every_n_layers" ${every} (layer ${clash} is ${clash % every === 0 ? 'global' : 'local'} by it)`);
    }
    return global;
  }
  const every = num(raw, 'global_attn_every_n_layers', file, 3);
  if (!Number.isInteger(every) || every < 1) throw new Error(`${file}: "global_attn_every_n_layers" must be a positive integer, got ${JSON.stringify(raw.global_attn_every_n_layers)}`);
  return Array.from({ length: numLayers }, (_, i) => i % every === 0);
}

/** rope_theta of a layer type from `rope_parameters` (transformers 5), else the Hub's key. */
function ropeTheta(raw: Raw, type: 'full_attention' | 'sliding_attention', hubKey: string, fallback: number, file: string): number {
  const p = raw.rope_parameters?.[type];
  if (p !== undefined && p !== null) {
    const kind = p.rope_type ?? 'default';
    if (kind !== 'default') throw new Error(`${file}: rope_parameters.${type}.rope_type "${kind}" is not supported (default)`);
    return num(p, 'rope_theta', `${file}: rope_parameters.${type}`);
  }
  return num(raw, hubKey, file, fallback);
}

/** ModernBERT's own keys; `numLayers` from num_hidden_layers. Defaults are ModernBertConfig's. */
export function parseModernBertOptions(raw: Raw, numLayers: number, file: string): ModernBertOptions {
  const hiddenAct = raw.hidden_activation ?? 'gelu';
  if (raw.hidden_act !== undefined && raw.hidden_act !== hiddenAct) {
    throw new Error(`${file}: "hidden_act" ${JSON.stringify(raw.hidden_act)} and "hidden_activation" ${JSON.stringify(hiddenAct)} disagree (ModernBERT reads hidden_activation)`);
  }
  const localWindow = num(raw, 'local_attention', file, 128);
  if (!Number.isInteger(localWindow) || localWindow < 0) throw new Error(`${file}: "local_attention" must be a non-negative integer, got ${JSON.stringify(raw.local_attention)}`);
  return {
    globalLayers: globalLayers(raw, numLayers, file),
    globalRopeTheta: ropeTheta(raw, 'full_attention', 'global_rope_theta', 160000, file),
    localRopeTheta: ropeTheta(raw, 'sliding_attention', 'local_rope_theta', 10000, file),
    localWindow,
    attentionBias: bool(raw, 'attention_bias', file, false),
    mlpBias: bool(raw, 'mlp_bias', file, false),
    normBias: bool(raw, 'norm_bias', file, false),
    embeddingDropout: num(raw, 'embedding_dropout', file, 0),
    mlpDropout: num(raw, 'mlp_dropout', file, 0),
  };
}

/** Shapes of ModernBERT's tensors (ModernBertModel's names); the first layer has no attn_norm (Identity). */
export function modernBertWeightShapes(m: ModernBertOptions, vocab: number, h: number, f: number): Map<string, number[]> {
  const shapes = new Map<string, number[]>([[MODERNBERT_WORD_EMBEDDINGS, [vocab, h]]]);
  const norm = (prefix: string) => {
    shapes.set(`${prefix}.weight`, [h]);
    if (m.normBias) shapes.set(`${prefix}.bias`, [h]);
  };
  const linear = (prefix: string, out: number, inp: number, bias: boolean) => {
    shapes.set(`${prefix}.weight`, [out, inp]);
    if (bias) shapes.set(`${prefix}.bias`, [out]);
  };
  norm('embeddings.norm');
  m.globalLayers.forEach((_, i) => {
    const p = `layers.${i}.`;
    if (i > 0) norm(`${p}attn_norm`);
    linear(`${p}attn.Wqkv`, 3 * h, h, m.attentionBias);
    linear(`${p}attn.Wo`, h, h, m.attentionBias);
    norm(`${p}mlp_norm`);
    linear(`${p}mlp.Wi`, 2 * f, h, m.mlpBias);
    linear(`${p}mlp.Wo`, h, f, m.mlpBias);
  });
  norm('final_norm');
  return shapes;
}

/**
 * A parameter of one of ModernBERT's LayerNorms (embeddings.norm, attn_norm, mlp_norm,
 * final_norm): transformers' Trainer leaves LayerNorm parameters out of weight decay by module type.
 */
export function isModernBertNorm(name: string): boolean {
  return /^(embeddings\.norm|final_norm|layers\.\d+\.(attn_norm|mlp_norm))\.(weight|bias)$/.test(name);
}
