// Random-weight model folders of published shapes, for benchmarks (no hub downloads here).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { weightShapes, parseConfig } from '../src/model/config.js';
import { writeSafetensors, type TensorMap } from '../src/model/safetensors.js';

/** A published encoder shape: config.json's keys that differ between the shapes. */
export interface Shape {
  /** What the bench prints. */
  label: string;
  config: Record<string, unknown>;
}

const BERT = { architectures: ['BertModel'], model_type: 'bert', hidden_act: 'gelu', max_position_embeddings: 512, type_vocab_size: 2, layer_norm_eps: 1e-12, pad_token_id: 0 };
const DROPOUT = { hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 };

/** The three shapes of issue #17's table. */
export const SHAPES: Record<string, Shape> = {
  // all-MiniLM-L6-v2's shape, 30,522 rows (the embedding table is half the model's parameters).
  minilm: { label: 'MiniLM-L6-H384', config: { ...BERT, ...DROPOUT, hidden_size: 384, num_hidden_layers: 6, num_attention_heads: 12, intermediate_size: 1536, vocab_size: 30522 } },
  // google/bert_uncased_L-4_H-256_A-4 (prajjwal1/bert-mini)'s shape.
  'bert-mini': { label: 'BERT-mini (L4 H256)', config: { ...BERT, ...DROPOUT, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, vocab_size: 30522 } },
  // xlm-roberta-base's shape: 250,002 rows, 278M parameters (the WebFAQ recipes' model).
  'xlmr-base': {
    label: 'xlm-roberta-base',
    config: {
      architectures: ['XLMRobertaModel'], model_type: 'xlm-roberta', hidden_act: 'gelu', max_position_embeddings: 514, type_vocab_size: 1, layer_norm_eps: 1e-5,
      pad_token_id: 1, bos_token_id: 0, eos_token_id: 2, ...DROPOUT, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, vocab_size: 250002,
    },
  },
};

/**
 * A sentence-transformers folder of `shape` with random weights (LCG, fixed seed), mean pooling +
 * Normalize, max_seq_length `maxSeqLength`, and the tokenizer files of `tokenizerFrom` (its ids
 * must fit the shape's vocabulary; the table keeps the shape's row count either way).
 */
export function writeShapeFolder(dir: string, shape: Shape, tokenizerFrom: string, maxSeqLength = 256): string {
  const tok = JSON.parse(fs.readFileSync(path.join(tokenizerFrom, 'tokenizer.json'), 'utf8'));
  const tokenizerSize = Object.keys(tok.model.vocab).length + (tok.added_tokens?.length ?? 0);
  const raw = { ...shape.config, vocab_size: Math.max(Number(shape.config.vocab_size), tokenizerSize) };
  const cfg = parseConfig(raw);
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.04;
  const weights: TensorMap = new Map();
  for (const [name, shape] of weightShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name.includes('LayerNorm.weight')) data.fill(1);
    else if (!name.endsWith('bias')) for (let i = 0; i < n; i++) data[i] = rand();
    weights.set(name, { shape, data });
  }
  fs.mkdirSync(path.join(dir, '1_Pooling'), { recursive: true });
  fs.mkdirSync(path.join(dir, '2_Normalize'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(raw, null, 2));
  writeSafetensors(path.join(dir, 'model.safetensors'), weights);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(tokenizerFrom, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'modules.json'), JSON.stringify([
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
  ]));
  fs.writeFileSync(path.join(dir, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: maxSeqLength, do_lower_case: false }));
  fs.writeFileSync(path.join(dir, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: cfg.hiddenSize, pooling_mode_mean_tokens: true }));
  return dir;
}

/** A MiniLM-L6-H384-shaped BERT (all-MiniLM-L6-v2's shape) with random weights, mean pooling + Normalize. */
export function writeMiniLmFolder(dir: string, tokenizerFrom: string): string {
  return writeShapeFolder(dir, SHAPES.minilm, tokenizerFrom);
}

/** The real bert-base-uncased WordPiece vocabulary (30,522 tokens), from ../shared/reference or BENCH_VOCAB. */
export function bertBaseUncased(): string {
  const dir = process.env.BENCH_VOCAB ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/reference/tokenizers/bert-base-uncased');
  if (!fs.existsSync(path.join(dir, 'tokenizer.json'))) {
    throw new Error(`${dir}: no tokenizer.json; set BENCH_VOCAB to a folder with bert-base-uncased's tokenizer files (tokenizer.json, tokenizer_config.json)`);
  }
  return dir;
}

/**
 * `n` texts of `words` real English words each, drawn from a WordPiece vocabulary's whole words
 * with a Zipf-like skew (frequent words more often), so they tokenize like prose, not like noise.
 */
export function vocabularyTexts(tokenizerDir: string, n: number, words: number, seed: number): string[] {
  const vocab = Object.keys(JSON.parse(fs.readFileSync(path.join(tokenizerDir, 'tokenizer.json'), 'utf8')).model.vocab as Record<string, number>)
    .filter((w) => /^[a-z]{2,}$/.test(w));
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = () => vocab[Math.floor(vocab.length * next() ** 2)];
  return Array.from({ length: n }, () => Array.from({ length: words }, pick).join(' '));
}

/** Texts of about `tokens` word-piece tokens for the tiny-bert tokenizer's vocabulary. */
export function syntheticTexts(n: number, words: number, seed: number): string[] {
  const vocab = ['cómo', 'puedo', 'rastrear', 'mi', 'factura', 'garantie', 'stornieren', 'annuler', 'compte', 'voucher', 'return',
    'today', 'página', 'panel', 'pasos', 'bereich', 'section', 'moment', 'menu', 'within', 'two', 'days', 'ticket', 'renew'];
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: n }, () => Array.from({ length: words }, () => vocab[next() % vocab.length]).join(' '));
}
