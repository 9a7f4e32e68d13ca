// Random-weight model folders of published shapes, for benchmarks (no hub downloads here).
import fs from 'node:fs';
import path from 'node:path';
import { weightShapes, parseConfig } from '../src/model/config.js';
import { writeSafetensors, type TensorMap } from '../src/model/safetensors.js';

/** A MiniLM-L6-H384-shaped BERT (all-MiniLM-L6-v2's shape) with random weights, mean pooling + Normalize. */
export function writeMiniLmFolder(dir: string, tokenizerFrom: string): string {
  const tok = JSON.parse(fs.readFileSync(path.join(tokenizerFrom, 'tokenizer.json'), 'utf8'));
  // all-MiniLM-L6-v2's 30,522 rows, although the tiny tokenizer uses only its first ids: the
  // embedding table is half the model's parameters, and the optimizer updates all of them.
  const tokenizerSize = Object.keys(tok.model.vocab).length + (tok.added_tokens?.length ?? 0);
  const vocabSize = Math.max(30522, tokenizerSize);
  const raw = {
    architectures: ['BertModel'], model_type: 'bert', hidden_size: 384, num_hidden_layers: 6, num_attention_heads: 12,
    intermediate_size: 1536, hidden_act: 'gelu', max_position_embeddings: 512, type_vocab_size: 2, vocab_size: vocabSize,
    layer_norm_eps: 1e-12, pad_token_id: 0, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1,
  };
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
  fs.writeFileSync(path.join(dir, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: 256, do_lower_case: false }));
  fs.writeFileSync(path.join(dir, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: 384, pooling_mode_mean_tokens: true }));
  return dir;
}

/** Texts of about `tokens` word-piece tokens for the tiny-bert tokenizer's vocabulary. */
export function syntheticTexts(n: number, words: number, seed: number): string[] {
  const vocab = ['cómo', 'puedo', 'rastrear', 'mi', 'factura', 'garantie', 'stornieren', 'annuler', 'compte', 'voucher', 'return',
    'today', 'página', 'panel', 'pasos', 'bereich', 'section', 'moment', 'menu', 'within', 'two', 'days', 'ticket', 'renew'];
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: n }, () => Array.from({ length: words }, () => vocab[next() % vocab.length]).join(' '));
}
