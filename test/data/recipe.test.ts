// The recipe loader: contract defaults, YAML and JSON, dotted overrides parsed as YAML scalars,
// presets under explicit columns, and errors that name the key and the file.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadRecipe } from '../../src/train/recipe.js';
import { tempDir } from './helpers.js';

function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const MINIMAL = `
model: {path: models/tiny}
data: {train: data/*.jsonl}
loss: {name: mnrl}
train: {output_dir: runs/x}
`;

describe('loadRecipe', () => {
  test('fills the contract defaults', () => {
    const r = loadRecipe(write(tempDir(), 'r.yaml', MINIMAL));
    expect(r.model).toEqual({ path: 'models/tiny' });
    expect(r.loss).toEqual({ name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 });
    expect(r.train).toEqual({
      batch_size: 32,
      lr: 2e-5,
      weight_decay: 0.01,
      schedule: 'linear',
      warmup_steps: 0,
      max_steps: null,
      epochs: 1,
      max_grad_norm: 1.0,
      gradient_accumulation_steps: 1,
      seed: 0,
      output_dir: 'runs/x',
      save_every: 500,
      save_total_limit: 3,
      resume: null,
      engine: 'auto',
      execution_provider: 'cpu',
    });
    expect(r.data).toMatchObject({
      train: ['data/*.jsonl'],
      columns: { query: 'query', positive: 'positive', negatives: 'negatives', positive_score: 'positive_score', negative_scores: 'negative_scores', language: 'language' },
      num_negatives: 1,
      negative_sampling: 'first',
      shuffle: true,
      batching: 'plain',
      on_bad_record: 'error',
    });
    expect(r.eval).toBeUndefined();
  });

  test('JSON works too; eval gets its defaults', () => {
    const file = write(tempDir(), 'r.json', JSON.stringify({ model: { path: 'm', max_seq_length: 128 }, data: { train: ['a.jsonl'] }, loss: { name: 'margin_mse' }, train: { output_dir: 'o' }, eval: { data: 'beir/x' } }));
    const r = loadRecipe(file);
    expect(r.model.max_seq_length).toBe(128);
    expect(r.eval).toEqual({ data: 'beir/x', every: 500, split: 'test' });
  });

  test('dotted overrides are YAML scalars', () => {
    const r = loadRecipe(write(tempDir(), 'r.yaml', MINIMAL), {
      'train.lr': '2e-5',
      'train.max_steps': '100',
      'train.max_grad_norm': 'null',
      'data.shuffle': 'false',
      'data.train': 'x.jsonl',
      'data.columns.language': 'meta.lang',
      'eval.data': 'beir/y',
    });
    expect(r.train.lr).toBe(2e-5);
    expect(r.train.max_steps).toBe(100);
    expect(r.train.max_grad_norm).toBeNull();
    expect(r.data.shuffle).toBe(false);
    expect(r.data.train).toEqual(['x.jsonl']);
    expect(r.data.columns.language).toBe('meta.lang');
    expect(r.eval).toEqual({ data: 'beir/y', every: 500, split: 'test' });
  });

  test('a preset fills the columns the recipe does not set', () => {
    const r = loadRecipe(write(tempDir(), 'r.yaml', MINIMAL.replace('{train: data/*.jsonl}', '{train: d.jsonl, preset: hard_negatives, columns: {language: lang}}')));
    expect(r.data.columns).toEqual({
      query: 'query',
      positive: 'positive',
      positive_score: 'positive_score',
      negatives: 'negatives[].document',
      negative_scores: 'negatives[].cross_encoder_score',
      language: 'lang',
    });
  });

  test('errors name the key and the file', () => {
    const dir = tempDir();
    const bad = (yaml: string, overrides?: Record<string, string>) => () => loadRecipe(write(dir, 'bad.yaml', yaml), overrides);
    const file = path.join(dir, 'bad.yaml');
    expect(bad(MINIMAL + 'extra: 1\n')).toThrow(`${file}: unknown key "extra"`);
    expect(bad(MINIMAL.replace('{output_dir: runs/x}', '{output_dir: runs/x, lr_rate: 1}'))).toThrow(`${file}: unknown key "train.lr_rate" (known: batch_size, lr,`);
    expect(bad(MINIMAL.replace('{output_dir: runs/x}', '{output_dir: runs/x, batch_size: many}'))).toThrow(`${file}: "train.batch_size" must be a number (got "many")`);
    expect(bad(MINIMAL.replace('{output_dir: runs/x}', '{output_dir: runs/x, batch_size: 1.5}'))).toThrow(`${file}: "train.batch_size" must be an integer (got 1.5)`);
    expect(bad(MINIMAL.replace('{name: mnrl}', '{name: triplet}'))).toThrow(`${file}: "loss.name" must be one of mnrl, cached_mnrl, margin_mse (got "triplet")`);
    expect(bad(MINIMAL.replace('model: {path: models/tiny}', 'model: {max_seq_length: 64}'))).toThrow(`${file}: "model.path" is required`);
    expect(bad(MINIMAL.replace('data: {train: data/*.jsonl}', 'data: {train: d.jsonl, columns: {query: 3}}'))).toThrow(`${file}: "data.columns.query" must be a column path`);
    expect(bad(MINIMAL, { 'train.learning_rate': '1' })).toThrow(`override --train.learning_rate: unknown key "train.learning_rate" (recipe ${file})`);
    expect(bad(MINIMAL, { 'train.lr': 'fast' })).toThrow(`${file}: "train.lr" must be a number (got "fast")`);
    expect(bad(MINIMAL.replace('{train: data/*.jsonl}', '{train: d.parquet, preset: webfaq_qa}'))).toThrow(
      `${file}: data.num_negatives is 1 but data.columns.negatives is not mapped`,
    );
    expect(bad(MINIMAL.replace('{name: mnrl}', '{name: margin_mse}'), { 'data.columns.negative_scores': 'null' })).toThrow(
      `${file}: loss margin_mse needs data.num_negatives >= 1 and data.columns.positive_score and negative_scores`,
    );
    expect(bad('- a\n- b\n')).toThrow(`${file}: a recipe is a mapping`);
    expect(bad('model: {path: [\n')).toThrow(`${file}: not valid YAML or JSON`);
    expect(() => loadRecipe(path.join(dir, 'none.yaml'))).toThrow('none.yaml: no such recipe file');
  });
});
