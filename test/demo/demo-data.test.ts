// The embedded demo data (data/demo) and default model (models/default): what the scripts
// produce, byte for byte, and the properties the demo relies on (valid records, a held-out set
// that needs generalisation, a tokenizer that knows every word, Hugging Face initialisation).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfig, weightShapes } from '../../src/model/config.js';
import { readModelFolder } from '../../src/model/folder.js';
import { readModelWeights } from '../../src/model/safetensors.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { LANGUAGES } from '../../scripts/demo-data/lexicon.js';
import { DEFAULT_MODEL_DIR, writeDefaultModel } from '../../scripts/make-default-model.js';
import { DEMO_DATA_DIR, writeDemoData } from '../../scripts/make-demo-data.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-demo-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Relative paths of all files under `dir`, sorted. */
function listFiles(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]))
    .sort();
}

const readJsonl = (file: string): any[] => fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));

const train = readJsonl(path.join(DEMO_DATA_DIR, 'train.jsonl'));
const corpus = readJsonl(path.join(DEMO_DATA_DIR, 'eval', 'corpus.jsonl'));
const queries = readJsonl(path.join(DEMO_DATA_DIR, 'eval', 'queries.jsonl'));
const qrelLines = fs.readFileSync(path.join(DEMO_DATA_DIR, 'eval', 'qrels', 'test.tsv'), 'utf8').trimEnd().split('\n');

describe('the scripts reproduce the committed files', () => {
  it('make-demo-data and make-default-model write the same bytes again', () => {
    const data = path.join(tmp, 'data');
    const model = path.join(tmp, 'model');
    writeDemoData(data);
    writeDefaultModel(data, model);
    for (const [fresh, committed] of [[data, DEMO_DATA_DIR], [model, DEFAULT_MODEL_DIR]]) {
      const files = listFiles(committed);
      expect(listFiles(fresh)).toEqual(files);
      // The model card names the Node.js that wrote it; everything else is the same bytes.
      const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), 'utf8').replace(/^- Node\.js: .*$/m, '- Node.js: *');
      for (const f of files) expect(read(fresh, f) === read(committed, f), f).toBe(true);
    }
  });
});

describe('train.jsonl', () => {
  it('has 2,000-4,000 records in every language, in the grouped hard-negative layout', () => {
    expect(train.length).toBeGreaterThanOrEqual(2000);
    expect(train.length).toBeLessThanOrEqual(4000);
    for (const [i, r] of train.entries()) {
      const where = `train.jsonl line ${i + 1}`;
      expect(Object.keys(r), where).toEqual(['query', 'positive', 'positive_score', 'language', 'negatives']);
      expect(typeof r.query === 'string' && r.query.length > 0, where).toBe(true);
      expect(typeof r.positive === 'string' && r.positive.length > 0, where).toBe(true);
      expect(LANGUAGES, where).toContain(r.language);
      expect(r.negatives, where).toHaveLength(8);
      for (const n of [{ cross_encoder_score: r.positive_score }, ...r.negatives]) {
        expect(Number.isFinite(n.cross_encoder_score) && n.cross_encoder_score >= 0 && n.cross_encoder_score <= 1, where).toBe(true);
      }
      for (const n of r.negatives) expect(typeof n.document === 'string' && n.document !== r.positive, where).toBe(true);
      expect(new Set(r.negatives.map((n: any) => n.document)).size, where).toBe(8);
    }
    expect(new Set(train.map((r) => r.language))).toEqual(new Set(LANGUAGES));
  });

  it('scores the positive above its negatives, except a few false negatives just below it', () => {
    let withFalseNegative = 0;
    for (const r of train) {
      const close = r.negatives.filter((n: any) => n.cross_encoder_score > 0.7);
      expect(close.length).toBeLessThanOrEqual(1);
      if (close.length) {
        withFalseNegative++;
        expect(r.positive_score - close[0].cross_encoder_score).toBeGreaterThanOrEqual(0);
        expect(r.positive_score - close[0].cross_encoder_score).toBeLessThanOrEqual(0.08);
      }
      // every record has hard negatives (same object or same action), not only easy ones
      expect(r.negatives.some((n: any) => n.cross_encoder_score >= 0.3 && n.cross_encoder_score <= 0.7)).toBe(true);
    }
    expect(withFalseNegative / train.length).toBeGreaterThan(0.01);
    expect(withFalseNegative / train.length).toBeLessThan(0.08);
  });
});

describe('eval/ (BEIR)', () => {
  const corpusIds = new Set(corpus.map((d) => d._id));
  const queryIds = new Set(queries.map((q) => q._id));

  it('has about 200 queries over about 1,000 documents, ids unique, every qrels id known', () => {
    expect(queries.length).toBeGreaterThanOrEqual(150);
    expect(queries.length).toBeLessThanOrEqual(300);
    expect(corpus.length).toBeGreaterThanOrEqual(800);
    expect(corpus.length).toBeLessThanOrEqual(1200);
    expect(corpusIds.size).toBe(corpus.length);
    expect(queryIds.size).toBe(queries.length);
    for (const d of corpus) expect(Object.keys(d)).toEqual(['_id', 'title', 'text']);
    for (const q of queries) expect(Object.keys(q)).toEqual(['_id', 'text']);
    expect(qrelLines[0]).toBe('query-id\tcorpus-id\tscore');
    const judged = new Set<string>();
    for (const line of qrelLines.slice(1)) {
      const [q, d, score] = line.split('\t');
      expect(queryIds.has(q), line).toBe(true);
      expect(corpusIds.has(d), line).toBe(true);
      expect(score).toBe('1');
      judged.add(q);
    }
    expect(judged).toEqual(queryIds);
  });

  it('needs generalisation: no query and no relevant document appears in train.jsonl', () => {
    const trainText = fs.readFileSync(path.join(DEMO_DATA_DIR, 'train.jsonl'), 'utf8');
    const asJson = (s: string): string => JSON.stringify(s).slice(1, -1);
    for (const q of queries) expect(trainText.includes(asJson(q.text)), q.text).toBe(false);
    const byId = new Map(corpus.map((d) => [d._id, d]));
    for (const line of qrelLines.slice(1)) {
      const d = byId.get(line.split('\t')[1]);
      expect(trainText.includes(asJson(`${d.title} ${d.text}`)), d._id).toBe(false);
    }
  });
});

describe('models/default', () => {
  const folder = readModelFolder(DEFAULT_MODEL_DIR);
  const vocab = fs.readFileSync(path.join(DEFAULT_MODEL_DIR, 'vocab.txt'), 'utf8').trimEnd().split('\n');

  it('is a small classic sentence-transformers BERT: mean pooling, normalised, max_seq_length 64', () => {
    const raw = JSON.parse(fs.readFileSync(path.join(DEFAULT_MODEL_DIR, 'modules.json'), 'utf8'));
    expect(raw.map((m: any) => m.type)).toEqual([
      'sentence_transformers.models.Transformer', 'sentence_transformers.models.Pooling', 'sentence_transformers.models.Normalize',
    ]);
    expect([folder.pooling, folder.normalize, folder.maxSeqLength]).toEqual(['mean', true, 64]);
    const c = readConfig(DEFAULT_MODEL_DIR);
    expect([c.modelType, c.hiddenSize, c.numLayers, c.numHeads, c.intermediateSize, c.maxPositions]).toEqual(['bert', 64, 2, 4, 128, 128]);
    expect(c.vocabSize).toBe(vocab.length);
    expect(vocab.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  });

  it('has Hugging Face initial weights: normal(0, 0.02), LayerNorm 1 and 0, biases 0, padding row 0', () => {
    const w = readModelWeights(DEFAULT_MODEL_DIR);
    const shapes = weightShapes(folder.config);
    expect([...w.keys()].sort()).toEqual([...shapes.keys()].sort());
    for (const [name, t] of w) {
      expect(t.shape, name).toEqual(shapes.get(name));
      const d = [...t.data];
      if (name.endsWith('LayerNorm.weight')) expect(d.every((x) => x === 1), name).toBe(true);
      else if (name.endsWith('.bias')) expect(d.every((x) => x === 0), name).toBe(true);
      else {
        const mean = d.reduce((a, b) => a + b, 0) / d.length;
        const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
        // at least 128 values: the standard error of std is 0.02 / sqrt(256) ~ 0.0013
        expect(Math.abs(mean), name).toBeLessThan(0.006);
        expect(Math.abs(std - 0.02), name).toBeLessThan(0.005);
      }
    }
    expect([...w.get('embeddings.word_embeddings.weight')!.data.subarray(0, 64)].every((x) => x === 0)).toBe(true);
  });

  it('tokenizes every text of the demo data into known pieces that spell its words', () => {
    const tok = loadTokenizer(DEFAULT_MODEL_DIR, 128); // all the model's positions: no demo text is cut
    // The words, independently of the tokenizer: accents stripped, lowercased, punctuation apart.
    const words = (s: string): string[] =>
      s.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase().match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];
    const texts = new Set<string>([...queries.map((q) => q.text), ...corpus.map((d) => `${d.title} ${d.text}`)]);
    for (const r of train) [r.query, r.positive, ...r.negatives.map((n: any) => n.document)].forEach((t) => texts.add(t));
    for (const text of texts) {
      const ids = tok.encode(text);
      expect(ids[0]).toBe(2);
      expect(ids[ids.length - 1]).toBe(3);
      const pieces = ids.slice(1, -1).map((i) => vocab[i]);
      expect(pieces, text).not.toContain('[UNK]');
      // every word of the demo data is a whole token of its own
      expect(pieces, text).toEqual(words(text));
    }
  });

  it('strips accents and case, and spells unknown words with characters', () => {
    const tok = loadTokenizer(DEFAULT_MODEL_DIR, 64);
    const spell = (s: string): string[] => tok.encode(s).slice(1, -1).map((i) => vocab[i]);
    expect(spell('Télécharger ÄNDERN Suscripción')).toEqual(['telecharger', 'andern', 'suscripcion']);
    expect(spell('¿Cómo?')).toEqual(['¿', 'como', '?']);
    const unknown = spell('Zürichsee');
    expect(unknown.length).toBeGreaterThan(1);
    expect(unknown.slice(1).every((p) => p.startsWith('##'))).toBe(true);
    expect(unknown.map((p) => p.replace(/^##/, '')).join('')).toBe('zurichsee');
    expect(tok.encode('Straße').every((i) => i !== 1)).toBe(true);
  });
});
