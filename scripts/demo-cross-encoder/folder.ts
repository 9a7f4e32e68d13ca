// The demo cross-encoder's folder as transformers writes a BertForSequenceClassification: config.json
// (one label, sentence-transformers' Sigmoid activation), model.safetensors with transformers'
// tensor names (bert.embeddings.*, bert.encoder.*, bert.pooler.dense.*, classifier.*), the tokenizer
// files of models/default, and a model card. Also its fresh weights, as transformers initialises them.
import fs from 'node:fs';
import path from 'node:path';
import { makeRng, seedRng } from '../../src/data/rng.js';
import { type EncoderConfig, parseConfig } from '../../src/model/config.js';
import type { CrossEncoderFolder } from '../../src/model/cross-encoder-folder.js';
import { type TensorMap, writeSafetensors } from '../../src/model/safetensors.js';
import { writeFolderAtomically } from '../../src/model/save.js';
import { initWeights } from '../default-model/init-weights.js';
import { bertConfig } from '../make-default-model.js';

/** Copied from models/default, so the demo texts tokenize as the bi-encoder's do. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

/** The head on top of the encoder: pooler (dense + tanh on [CLS]) and the one-logit classifier. */
const HEAD = ['pooler.dense', 'classifier'];

export function crossEncoderConfig(vocabSize: number): Record<string, unknown> {
  return {
    ...bertConfig(vocabSize),
    architectures: ['BertForSequenceClassification'],
    id2label: { 0: 'LABEL_0' },
    label2id: { LABEL_0: 0 },
    sentence_transformers: { activation_fn: 'torch.nn.modules.activation.Sigmoid' },
  };
}

/** The vocabulary size of a folder's vocab.txt (one token a line). */
export function vocabSize(dir: string): number {
  return fs.readFileSync(path.join(dir, 'vocab.txt'), 'utf8').split('\n').filter((l) => l !== '').length;
}

/** Encoder weights as models/default's (initWeights), plus the head's: normal(0, 0.02) matrices, zero biases. */
export function initCrossEncoderWeights(config: EncoderConfig, seed: number, std = 0.02): TensorMap {
  const out = initWeights(config, seed, std);
  const rng = makeRng(seedRng(seed, 1));
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const h = config.hiddenSize;
  const rows: Record<string, number> = { 'pooler.dense': h, classifier: 1 };
  for (const name of HEAD) {
    out.set(`${name}.weight`, { shape: [rows[name], h], data: Float32Array.from({ length: rows[name] * h }, () => normal() * std) });
    out.set(`${name}.bias`, { shape: [rows[name]], data: new Float32Array(rows[name]) });
  }
  return out;
}

/** The folder in memory, as readCrossEncoderFolder would return it, for building the training graphs. */
export function inMemoryCrossEncoder(dir: string, raw: Record<string, unknown>, weights: TensorMap, maxSeqLength: number): CrossEncoderFolder {
  const encoder = { dir, config: parseConfig(raw), pooling: 'cls' as const, normalize: false, maxSeqLength, weights, prompts: {}, defaultPromptName: null, includePrompt: true };
  return { encoder, head: 'bert', activation: 'sigmoid' };
}

/** Prefix-free names (as our loader keeps them) -> transformers' names in model.safetensors. */
export function transformersName(name: string): string {
  return name.startsWith('classifier.') ? name : `bert.${name}`;
}

/** Write the folder atomically: config, weights (HF layout, prefix-free names), tokenizer files of `tokenizerDir`, card. */
export function writeCrossEncoderFolder(outDir: string, raw: Record<string, unknown>, weights: TensorMap, tokenizerDir: string, card: string): void {
  writeFolderAtomically(outDir, (tmp) => {
    fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(raw, null, 2) + '\n');
    writeSafetensors(path.join(tmp, 'model.safetensors'), new Map([...weights].map(([n, t]) => [transformersName(n), t])));
    for (const f of TOKENIZER_FILES) fs.copyFileSync(path.join(tokenizerDir, f), path.join(tmp, f));
    fs.writeFileSync(path.join(tmp, 'README.md'), card);
  });
}
