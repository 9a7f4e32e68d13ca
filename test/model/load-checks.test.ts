// A tokenizer or max_seq_length that does not fit the model's embedding tables is an error when
// the model is loaded, naming both numbers and both files, on every command; before, it failed
// later with `GatherV2: the index value 567 is not in [0, 499]` or was silently capped.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { checkData } from '../../src/cli/check-data.js';
import { readModelFolder } from '../../src/model/folder.js';
import { highestTokenId, loadTokenizer } from '../../src/model/tokenizer.js';
import { loadRecipe } from '../../src/train/recipe.js';
import { writeSafetensorsFile } from '../helpers/random-folder.js';
import { readF32Safetensors } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const BEIR = `${FIX}data/beir-mini`;
const TRIPLES = `${FIX}data/hard-negatives.jsonl`;
let tmp: string;
let n = 0;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-load-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const editJson = (file: string, f: (j: any) => void) => {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  f(j);
  fs.writeFileSync(file, JSON.stringify(j));
};

function copyOf(fixture: string): string {
  const dir = path.join(tmp, `case-${n++}`);
  fs.cpSync(`${FIX}${fixture}`, dir, { recursive: true });
  return dir;
}

/** tiny-bert with vocab_size 500 and a word-embedding table of 500 rows: its tokenizer reaches id 599. */
function shrunkVocab(): string {
  const dir = copyOf('tiny-bert');
  editJson(path.join(dir, 'config.json'), (j) => (j.vocab_size = 500));
  const file = path.join(dir, 'model.safetensors');
  const w = readF32Safetensors(file);
  const emb = w.get('embeddings.word_embeddings.weight')!;
  w.set('embeddings.word_embeddings.weight', { shape: [500, emb.shape[1]], data: Float32Array.from(emb.data).subarray(0, 500 * emb.shape[1]) });
  writeSafetensorsFile(file, w);
  return dir;
}

/** A recipe (JSON) training `model` on the fixture triples. */
function recipeFor(model: Record<string, unknown>): string {
  const file = path.join(tmp, `recipe-${n++}.json`);
  const recipe = {
    model,
    data: { train: [TRIPLES], preset: 'hard_negatives' },
    loss: { name: 'mnrl' },
    train: { batch_size: 4, max_steps: 1, output_dir: path.join(tmp, `run-${n}`) },
  };
  fs.writeFileSync(file, JSON.stringify(recipe));
  return file;
}

/** Run the CLI with console.log silenced; the promise rejects with the command's error. */
async function run(args: string[]): Promise<number> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    return await main(args);
  } finally {
    spy.mockRestore();
  }
}

describe('a tokenizer with more ids than the embedding has rows', () => {
  const vocabError = (dir: string) =>
    new RegExp(`^${path.join(dir, 'tokenizer.json')}: token ids go up to 599 .*${path.join(dir, 'config.json')} has vocab_size 500`);

  it('highestTokenId reads WordPiece vocabularies, Unigram lists and added tokens', () => {
    const tiny = JSON.parse(fs.readFileSync(`${FIX}tiny-bert/tokenizer.json`, 'utf8'));
    expect(highestTokenId(tiny)).toBe(599); // 600 WordPiece entries, ids 0..599
    expect(highestTokenId({ model: { vocab: [['<s>', 0], ['a', -1], ['b', -2]] }, added_tokens: [] })).toBe(2);
    expect(highestTokenId({ model: { vocab: { a: 0, b: 1 } }, added_tokens: [{ id: 7, content: '<x>' }] })).toBe(7);
  });

  it('loadTokenizer fails naming both files and both numbers', () => {
    const dir = shrunkVocab();
    expect(() => loadTokenizer(dir, 64)).toThrow(vocabError(dir));
  });

  it('embed, eval and export fail with it, not an index error', async () => {
    const dir = shrunkVocab();
    const input = path.join(tmp, 'texts.jsonl');
    fs.writeFileSync(input, '{"text": "télécharger herunter stornieren"}\n');
    await expect(run(['embed', '--model', dir, '--input', input, '--output', path.join(tmp, 'e.jsonl'), '--backend', 'cpu'])).rejects.toThrow(vocabError(dir));
    // the tokenizer is checked before the graph is opened (an empty file stands for it)
    fs.mkdirSync(path.join(dir, 'onnx'));
    fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), '');
    await expect(run(['embed', '--model', dir, '--input', input, '--output', path.join(tmp, 'e.jsonl'), '--engine', 'onnx'])).rejects.toThrow(vocabError(dir));
    await expect(run(['eval', '--model', dir, '--data', BEIR, '--split', 'train', '--backend', 'cpu'])).rejects.toThrow(vocabError(dir));
    await expect(run(['eval', '--model', dir, '--data', BEIR, '--split', 'train', '--engine', 'onnx'])).rejects.toThrow(vocabError(dir));
    await expect(run(['export', '--model', dir, '--output', path.join(tmp, 'x'), '--backend', 'cpu'])).rejects.toThrow(vocabError(dir));
  });

  it('check-data and train fail with it', async () => {
    const dir = shrunkVocab();
    await expect(checkData(loadRecipe(recipeFor({ path: dir })))).rejects.toThrow(vocabError(dir));
    await expect(run(['train', '--recipe', recipeFor({ path: dir })])).rejects.toThrow(vocabError(dir));
  });
});

describe('max_seq_length above the position table', () => {
  it('sentence_bert_config.json asking for more positions than config.json has is an error, not a silent cap', () => {
    const dir = copyOf('tiny-bert');
    editJson(path.join(dir, 'sentence_bert_config.json'), (j) => (j.max_seq_length = 256));
    expect(() => readModelFolder(dir)).toThrow(
      new RegExp(`^${path.join(dir, 'sentence_bert_config.json')}: max_seq_length 256 is more than the 128 positions .*${path.join(dir, 'config.json')}: max_position_embeddings 128`),
    );
  });

  it('the recipe model.max_seq_length: train and check-data fail naming both numbers', async () => {
    const dir = `${FIX}tiny-bert`;
    const want = /max_seq_length 256 is more than the 128 positions .*tiny-bert\/config\.json: max_position_embeddings 128/;
    expect(() => readModelFolder(dir, { maxSeqLength: 256 })).toThrow(want);
    await expect(run(['train', '--recipe', recipeFor({ path: dir, max_seq_length: 256 })])).rejects.toThrow(want);
    await expect(checkData(loadRecipe(recipeFor({ path: dir, max_seq_length: 256 })))).rejects.toThrow(want);
  });

  it("XLM-RoBERTa's positions start at padding_idx + 1: 128 of its 130 fit, 129 does not", () => {
    const dir = `${FIX}tiny-xlmr`;
    expect(loadTokenizer(dir, 128).maxSeqLength).toBe(128);
    expect(() => loadTokenizer(dir, 129)).toThrow(/max_seq_length 129 is more than the 128 positions .*max_position_embeddings 130 minus padding_idx \+ 1 = 2 for xlm-roberta/);
    expect(readModelFolder(dir, { maxSeqLength: 128 }).maxSeqLength).toBe(128);
    expect(() => readModelFolder(dir, { maxSeqLength: 129 })).toThrow(/max_seq_length 129/);
  });

  it("tokenizer_config.json's model_max_length is still capped at the positions, as sentence-transformers caps it", () => {
    const dir = copyOf('tiny-bert');
    editJson(path.join(dir, 'tokenizer_config.json'), (j) => (j.model_max_length = 512));
    expect(readModelFolder(dir).maxSeqLength).toBe(128);
  });
});
