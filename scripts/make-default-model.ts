// Writes the default model (models/default): a small, randomly initialised BERT encoder in the
// classic sentence-transformers layout, with a WordPiece vocabulary built from the demo data, sized
// so that the demo trains it in a minute or two on CPU. Deterministic: same data and seed, same bytes.
// Run (after scripts/make-demo-data.ts): npx tsx scripts/make-default-model.ts
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { documentText, readBeir } from '../src/data/beir.js';
import { readLinesSync } from '../src/data/lines-sync.js';
import { parseConfig } from '../src/model/config.js';
import { writeFolderAtomically, writeModelFiles } from '../src/model/save.js';
import { initWeights } from './default-model/init-weights.js';
import { SPECIAL_TOKENS_MAP, tokenizerConfig, tokenizerJson, vocabTxt } from './default-model/tokenizer-files.js';
import { buildVocab } from './default-model/vocab.js';
import { DEMO_DATA_DIR } from './make-demo-data.js';

export const MODEL_SEED = 20240607;
export const MAX_SEQ_LENGTH = 64;
export const DEFAULT_MODEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'models', 'default');

/** config.json of the default model; vocab_size comes from the vocabulary. */
export function bertConfig(vocabSize: number): Record<string, unknown> {
  return {
    architectures: ['BertModel'],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: 64,
    initializer_range: 0.02,
    intermediate_size: 128,
    layer_norm_eps: 1e-12,
    max_position_embeddings: 128,
    model_type: 'bert',
    num_attention_heads: 4,
    num_hidden_layers: 2,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    type_vocab_size: 2,
    use_cache: true,
    vocab_size: vocabSize,
  };
}

/** Every text of the demo data: training queries, positives and negatives, held-out queries and corpus. */
export function* demoTexts(dataDir: string): Generator<string> {
  const train = path.join(dataDir, 'train.jsonl');
  for (const { n, text } of readLinesSync(train)) {
    if (text.trim() === '') continue;
    let rec: { query?: unknown; positive?: unknown; negatives?: { document?: unknown }[] };
    try {
      rec = JSON.parse(text);
    } catch (e) {
      throw new Error(`${train} line ${n}: not valid JSON (${(e as Error).message})`);
    }
    const texts = [rec.query, rec.positive, ...(Array.isArray(rec.negatives) ? rec.negatives.map((x) => x?.document) : [undefined])];
    const bad = texts.findIndex((t) => typeof t !== 'string');
    if (bad >= 0) throw new Error(`${train} line ${n}, field "${['query', 'positive'][bad] ?? 'negatives'}": expected text`);
    yield* texts as string[];
  }
  const beir = readBeir(path.join(dataDir, 'eval'));
  yield* beir.queries.values();
  for (const doc of beir.corpus.values()) yield documentText(doc);
}

/** Build the vocabulary from `dataDir`, initialise the weights and write the folder `outDir` atomically. */
export function writeDefaultModel(dataDir: string, outDir: string, seed = MODEL_SEED): { vocabSize: number; parameters: number } {
  const vocab = buildVocab(demoTexts(dataDir));
  const config = parseConfig(bertConfig(vocab.length));
  const weights = initWeights(config, seed);
  writeFolderAtomically(outDir, (tmp) => {
    const folder = { dir: tmp, config, pooling: 'mean' as const, normalize: true, maxSeqLength: MAX_SEQ_LENGTH, weights, prompts: {}, defaultPromptName: null, includePrompt: true };
    writeModelFiles(folder, weights, tmp);
    const json = (file: string, value: unknown): void => fs.writeFileSync(path.join(tmp, file), JSON.stringify(value, null, 2) + '\n');
    json('tokenizer.json', tokenizerJson(vocab));
    json('tokenizer_config.json', tokenizerConfig(MAX_SEQ_LENGTH));
    json('special_tokens_map.json', SPECIAL_TOKENS_MAP);
    fs.writeFileSync(path.join(tmp, 'vocab.txt'), vocabTxt(vocab));
    // sentence-transformers writes nothing into 2_Normalize; git keeps no empty folder.
    fs.writeFileSync(path.join(tmp, '2_Normalize', '.gitkeep'), '');
  });
  let parameters = 0;
  for (const t of weights.values()) parameters += t.data.length;
  return { vocabSize: vocab.length, parameters };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { vocabSize, parameters } = writeDefaultModel(DEMO_DATA_DIR, DEFAULT_MODEL_DIR);
  console.log(`wrote ${DEFAULT_MODEL_DIR}: vocabulary ${vocabSize}, ${parameters} parameters`);
}
