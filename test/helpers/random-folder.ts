// Small random-weight model folders written the way Python tools write them (sentence-transformers
// classic and 6.x layouts, bare Hugging Face folders, sharded safetensors), with the weights kept
// in memory so the reference encoder can compute what the folder should embed to. The
// safetensors writer here is separate from src/ so a bug there cannot cancel out.
import fs from 'node:fs';
import path from 'node:path';
import type { RefConfig, RefModel, RefPooling, RefTensor, RefWeights } from './reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;

export interface FolderSpec {
  arch: 'bert' | 'xlm-roberta';
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  hiddenAct?: string;
  layerNormEps?: number;
  /** Defaults to what the tokenizer needs plus room for RoBERTa's offset. */
  maxPositions?: number;
  /** classic: sentence_transformers.models.* + sentence_bert_config max_seq_length; st6: 6.x names, max length from tokenizer_config; bare: no sentence-transformers files. */
  layout: 'classic' | 'st6' | 'bare';
  pooling: RefPooling;
  normalize: boolean;
  /** classic: sentence_bert_config.json max_seq_length (omitted if undefined). */
  stMaxSeqLength?: number;
  /** tokenizer_config.json model_max_length (HF writes 1e30 when unset). */
  tokenizerMaxLength: number;
  prompts?: Record<string, string>;
  /** Split the weights over two shards with model.safetensors.index.json. */
  sharded?: boolean;
  /** Prefix of the tensor names in the file, e.g. 'bert.' as BertModel.save_pretrained writes them. */
  namePrefix?: string;
  dtype?: 'F32' | 'BF16';
  seed: number;
}

/** mulberry32 + Box-Muller: deterministic normal samples. */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Round float32 values to bfloat16 (truncation), as the stored file will hold them. */
function toBf16(data: Float32Array): Float32Array {
  const bits = new Uint32Array(data.buffer.slice(0));
  for (let i = 0; i < bits.length; i++) bits[i] &= 0xffff0000;
  return new Float32Array(bits.buffer);
}

/** Hugging Face tensors (PyTorch layout) of a random encoder, pooler included. */
export function randomWeights(spec: FolderSpec, vocab: number, maxPositions: number): RefWeights {
  const rand = normals(spec.seed);
  const h = spec.hidden, f = spec.intermediate;
  const w: RefWeights = new Map();
  const add = (name: string, shape: number[], scale: number, offset = 0) => {
    const n = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array = new Float32Array(n).map(() => offset + scale * rand());
    if (spec.dtype === 'BF16') data = toBf16(data);
    w.set(name, { shape, data });
  };
  add('embeddings.word_embeddings.weight', [vocab, h], 1);
  add('embeddings.position_embeddings.weight', [maxPositions, h], 0.5);
  add('embeddings.token_type_embeddings.weight', [spec.arch === 'bert' ? 2 : 1, h], 0.5);
  add('embeddings.LayerNorm.weight', [h], 0.2, 1);
  add('embeddings.LayerNorm.bias', [h], 0.1);
  for (let i = 0; i < spec.layers; i++) {
    const p = `encoder.layer.${i}.`;
    for (const n of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      add(`${p}${n}.weight`, [h, h], 1.5 / Math.sqrt(h));
      add(`${p}${n}.bias`, [h], 0.1);
    }
    add(`${p}attention.output.LayerNorm.weight`, [h], 0.2, 1);
    add(`${p}attention.output.LayerNorm.bias`, [h], 0.1);
    add(`${p}intermediate.dense.weight`, [f, h], 1.5 / Math.sqrt(h));
    add(`${p}intermediate.dense.bias`, [f], 0.1);
    add(`${p}output.dense.weight`, [h, f], 1.5 / Math.sqrt(f));
    add(`${p}output.dense.bias`, [h], 0.1);
    add(`${p}output.LayerNorm.weight`, [h], 0.2, 1);
    add(`${p}output.LayerNorm.bias`, [h], 0.1);
  }
  add('pooler.dense.weight', [h, h], 1 / Math.sqrt(h));
  add('pooler.dense.bias', [h], 0.1);
  return w;
}

/** A .safetensors file as the Python library writes it (names sorted, F32 or BF16 little-endian). */
export function writeSafetensorsFile(file: string, tensors: Map<string, RefTensor>, dtype: 'F32' | 'BF16' = 'F32'): void {
  const names = [...tensors.keys()].sort();
  const size = dtype === 'F32' ? 4 : 2;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const n of names) {
    const t = tensors.get(n)!;
    header[n] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length * size] };
    offset += t.data.length * size;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  let pos = 8 + json.length;
  const scratch = Buffer.alloc(4);
  for (const n of names) {
    for (const v of Array.from(tensors.get(n)!.data)) {
      if (dtype === 'F32') out.writeFloatLE(v, pos);
      else {
        scratch.writeFloatLE(v, 0);
        out.writeUInt16LE(scratch.readUInt16LE(2), pos);
      }
      pos += size;
    }
  }
  fs.writeFileSync(file, out);
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
}

const CLASSIC_KEYS: Record<RefPooling, string> = {
  cls: 'pooling_mode_cls_token',
  mean: 'pooling_mode_mean_tokens',
  max: 'pooling_mode_max_tokens',
  lasttoken: 'pooling_mode_lasttoken',
};

/** sentence-transformers' module files: modules.json, 1_Pooling, 2_Normalize, prompts. */
function writeSentenceTransformerFiles(dir: string, spec: FolderSpec): void {
  const classic = spec.layout === 'classic';
  const types = classic
    ? ['sentence_transformers.models.Transformer', 'sentence_transformers.models.Pooling', 'sentence_transformers.models.Normalize']
    : ['sentence_transformers.base.modules.transformer.Transformer', 'sentence_transformers.sentence_transformer.modules.pooling.Pooling', 'sentence_transformers.base.modules.normalize.Normalize'];
  const modules = [
    { idx: 0, name: '0', path: '', type: types[0] },
    { idx: 1, name: '1', path: '1_Pooling', type: types[1] },
  ];
  if (spec.normalize) {
    modules.push({ idx: 2, name: '2', path: '2_Normalize', type: types[2] });
    fs.mkdirSync(path.join(dir, '2_Normalize'), { recursive: true });
  }
  writeJson(path.join(dir, 'modules.json'), modules);
  if (classic) {
    const pooling: Record<string, unknown> = { word_embedding_dimension: spec.hidden };
    for (const k of [...Object.values(CLASSIC_KEYS), 'pooling_mode_mean_sqrt_len_tokens', 'pooling_mode_weightedmean_tokens']) pooling[k] = false;
    pooling[CLASSIC_KEYS[spec.pooling]] = true;
    writeJson(path.join(dir, '1_Pooling/config.json'), pooling);
    const st: Record<string, unknown> = { do_lower_case: false };
    if (spec.stMaxSeqLength !== undefined) st.max_seq_length = spec.stMaxSeqLength;
    writeJson(path.join(dir, 'sentence_bert_config.json'), st);
  } else {
    writeJson(path.join(dir, '1_Pooling/config.json'), { embedding_dimension: spec.hidden, pooling_mode: spec.pooling, include_prompt: true });
    writeJson(path.join(dir, 'sentence_bert_config.json'), { transformer_task: 'feature-extraction', module_output_name: 'token_embeddings' });
  }
  writeJson(path.join(dir, 'config_sentence_transformers.json'), {
    __version__: { sentence_transformers: classic ? '2.7.0' : '6.0.1' },
    prompts: spec.prompts ?? {},
    default_prompt_name: null,
  });
}

/**
 * Write a random-weight model folder to `dir` and return what the reference encoder needs,
 * including the max_seq_length sentence-transformers would use for it.
 */
export function writeRandomFolder(dir: string, spec: FolderSpec): RefModel {
  const src = `${FIX}${spec.arch === 'bert' ? 'tiny-bert' : 'tiny-xlmr'}`;
  const srcConfig = JSON.parse(fs.readFileSync(`${src}/config.json`, 'utf8'));
  const vocab: number = srcConfig.vocab_size;
  const padId = spec.arch === 'bert' ? 0 : 1;
  const maxPositions = spec.maxPositions ?? 130;
  fs.mkdirSync(dir, { recursive: true });
  const config: RefConfig & Record<string, unknown> = {
    architectures: [spec.arch === 'bert' ? 'BertModel' : 'XLMRobertaModel'],
    model_type: spec.arch,
    vocab_size: vocab,
    hidden_size: spec.hidden,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    intermediate_size: spec.intermediate,
    hidden_act: spec.hiddenAct ?? 'gelu',
    max_position_embeddings: maxPositions,
    type_vocab_size: spec.arch === 'bert' ? 2 : 1,
    layer_norm_eps: spec.layerNormEps ?? 1e-12,
    pad_token_id: padId,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
  };
  writeJson(path.join(dir, 'config.json'), config);
  fs.copyFileSync(`${src}/tokenizer.json`, path.join(dir, 'tokenizer.json'));
  const tokCfg = JSON.parse(fs.readFileSync(`${src}/tokenizer_config.json`, 'utf8'));
  writeJson(path.join(dir, 'tokenizer_config.json'), { ...tokCfg, model_max_length: spec.tokenizerMaxLength });

  const weights = randomWeights(spec, vocab, maxPositions);
  const stored = new Map([...weights].map(([k, v]) => [(spec.namePrefix ?? '') + k, v]));
  if (spec.sharded) {
    const names = [...stored.keys()].sort();
    const shards = [names.slice(0, names.length >> 1), names.slice(names.length >> 1)];
    const weightMap: Record<string, string> = {};
    shards.forEach((part, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensorsFile(path.join(dir, file), new Map(part.map((n) => [n, stored.get(n)!])), spec.dtype);
      for (const n of part) weightMap[n] = file;
    });
    writeJson(path.join(dir, 'model.safetensors.index.json'), { metadata: { total_size: 0 }, weight_map: weightMap });
  } else {
    writeSafetensorsFile(path.join(dir, 'model.safetensors'), stored, spec.dtype);
  }
  if (spec.layout !== 'bare') writeSentenceTransformerFiles(dir, spec);

  // sentence-transformers: max_seq_length from sentence_bert_config, else min(positions, tokenizer's
  // model_max_length); RoBERTa positions start after padding_idx, so only positions - pad - 1 fit.
  const usable = spec.arch === 'bert' ? maxPositions : maxPositions - padId - 1;
  const maxSeqLength = Math.min(spec.layout === 'classic' && spec.stMaxSeqLength !== undefined ? spec.stMaxSeqLength : spec.tokenizerMaxLength, usable);
  const bare = spec.layout === 'bare';
  return { config, weights, pooling: bare ? 'mean' : spec.pooling, normalize: bare ? false : spec.normalize, maxSeqLength };
}

/** The 16 fixture texts (accents, empty string, a 300-word text). */
export function fixtureTexts(): string[] {
  return JSON.parse(fs.readFileSync(`${FIX}tiny-bert.expected.json`, 'utf8')).texts;
}
