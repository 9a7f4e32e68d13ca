// The recipe's data.prompts (sentence-transformers' `prompts` training argument): one text for
// every column or a mapping column -> text, checked like every recipe key; the prompts reach the
// tokenized batches (prompt + text, and the prompt's token count for include_prompt false), and a
// run's saved model records them as its query / document prompts.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { readModelFolder } from '../../src/model/folder.js';
import type { TokenBatch } from '../../src/model/tokenizer.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { loadRecipe } from '../../src/train/recipe.js';
import { train } from '../../src/train/trainer.js';
import { MODEL, collect, recipeWith, tempDir, openStream } from './helpers.js';

/** Row r's token ids of a padded batch. */
function row(b: TokenBatch, r: number): number[] {
  const ids = Array.from(b.inputIds.subarray(r * b.seqLen, (r + 1) * b.seqLen));
  return ids.slice(0, b.attentionMask.subarray(r * b.seqLen, (r + 1) * b.seqLen).reduce((a, v) => a + v, 0));
}

describe('recipe data.prompts', () => {
  test('a mapping sets the columns it names; a string sets every column; none is no prompt', () => {
    const dir = tempDir();
    expect(recipeWith(dir, { prompts: { query: 'query: ', positive: 'passage: ' } }).data.prompts).toEqual({ query: 'query: ', positive: 'passage: ', negatives: '' });
    expect(recipeWith(dir, { prompts: 'text: ' }).data.prompts).toEqual({ query: 'text: ', positive: 'text: ', negatives: 'text: ' });
    expect(recipeWith(dir, {}).data.prompts).toEqual({ query: '', positive: '', negatives: '' });
  });

  test('an unknown column or a non-text prompt is an error naming the key; the command line sets a mapping too', () => {
    const dir = tempDir();
    expect(() => recipeWith(dir, { prompts: { anchor: 'q: ' } })).toThrow('"data.prompts.anchor" is not a column that takes a prompt (query, positive, negatives)');
    expect(() => recipeWith(dir, { prompts: { query: 3 } })).toThrow('"data.prompts.query" must be a prompt text (got 3)');
    expect(() => recipeWith(dir, { prompts: ['q: '] })).toThrow('"data.prompts" must be a prompt text for every column, or a mapping of query, positive, negatives to prompt texts');
    const file = path.join(dir, 'r.json');
    fs.writeFileSync(file, JSON.stringify({ model: { path: MODEL }, data: { train: ['x.jsonl'] }, loss: { name: 'mnrl' }, train: { output_dir: path.join(dir, 'o') } }));
    expect(loadRecipe(file, { 'data.prompts': '{query: "q: "}' }).data.prompts).toEqual({ query: 'q: ', positive: '', negatives: '' });
    expect(loadRecipe(file, { 'data.prompts': 'all: ' }).data.prompts).toEqual({ query: 'all: ', positive: 'all: ', negatives: 'all: ' });
  });

  test('reach the tokenized batches: prompt + text, with the prompt length sentence-transformers computes', async () => {
    const dir = tempDir();
    const recipe = recipeWith(dir, { prompts: { query: 'query: ', positive: 'passage: ' }, shuffle: false, num_negatives: 1 });
    const [b] = await collect(openStream(recipe), 1);
    const tok = loadTokenizer(MODEL, 64);
    b.triples.forEach((t, r) => {
      expect(row(b.query, r)).toEqual(tok.encode('query: ' + t.query));
      expect(row(b.positive, r)).toEqual(tok.encode('passage: ' + t.positive));
      expect(row(b.negatives[0], r)).toEqual(tok.encode(t.negatives[0]));
    });
    expect(b.query.promptLength).toBe(tok.promptLength('query: '));
    expect(b.positive.promptLength).toBe(tok.promptLength('passage: '));
    expect(b.negatives[0].promptLength).toBeUndefined();
  });

  test("a run's saved model (checkpoints and final) carries them as its query / document prompts", async () => {
    const dir = tempDir();
    const recipe = recipeWith(dir, { prompts: { query: 'query: ', positive: 'passage: ', negatives: 'passage: ' }, num_negatives: 1 }, { max_steps: 1, save_every: 1, engine: 'onnx' });
    await train(recipe, { log: () => {} });
    const st = JSON.parse(fs.readFileSync(path.join(recipe.train.output_dir, 'final', 'config_sentence_transformers.json'), 'utf8'));
    expect(st.prompts).toEqual({ query: 'query: ', document: 'passage: ' });
    expect(readModelFolder(path.join(recipe.train.output_dir, 'checkpoints', 'step-1')).prompts).toEqual({ query: 'query: ', document: 'passage: ' });
  });

  test('with include_prompt false, a run leaves them out of the pooling: the first loss differs from pooling them, the same in both engines', async () => {
    await initBackend('wasm');
    const dir = tempDir();
    const excluding = path.join(dir, 'exclude');
    fs.cpSync(MODEL, excluding, { recursive: true });
    fs.writeFileSync(`${excluding}/1_Pooling/config.json`, JSON.stringify({ embedding_dimension: 32, pooling_mode: 'mean', include_prompt: false }));
    const firstLoss = async (model: string, engine: string) => {
      const recipe = recipeWith(dir, { prompts: 'text: ', num_negatives: 1, shuffle: false }, { max_steps: 1, engine, output_dir: path.join(dir, `${path.basename(model)}-${engine}`) });
      recipe.model.path = model;
      return (await train(recipe, { log: () => {} })).lastMetrics!.loss;
    };
    const onnx = await firstLoss(excluding, 'onnx');
    expect(Math.abs((await firstLoss(excluding, 'tfjs')) - onnx) / onnx).toBeLessThan(1e-4);
    expect(Math.abs((await firstLoss(MODEL, 'onnx')) - onnx)).toBeGreaterThan(1e-3);
  });
});
