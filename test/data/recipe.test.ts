// The recipe loader: contract defaults, YAML and JSON, dotted overrides read by their key's kind,
// presets under explicit columns, range checks, and errors that name the key, the value and the
// file or the command-line flag.
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
    expect(r.loss).toEqual({ name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32, gather_across_devices: false });
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
      report_to: [],
      save_every: 500,
      save_total_limit: 3,
      resume: null,
      engine: 'auto',
      execution_provider: 'cpu',
      memory_budget: 'auto',
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

  test('dotted overrides are read by their key\'s kind', () => {
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
    expect(bad(MINIMAL, { 'train.lr': 'fast' })).toThrow(`--train.lr (command line): "train.lr" must be a number (got "fast")`);
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

describe('override values are data, not YAML', () => {
  const load = (overrides: Record<string, string>) => loadRecipe(write(tempDir(), 'r.yaml', MINIMAL), overrides);

  test('a string key takes the raw text: a # is kept, digits stay a folder name', () => {
    expect(load({ 'train.output_dir': 'runs/exp #2' }).train.output_dir).toBe('runs/exp #2');
    expect(load({ 'train.output_dir': '2024' }).train.output_dir).toBe('2024');
    expect(load({ 'eval.data': 'beir/x', 'eval.split': '2019' }).eval?.split).toBe('2019');
    expect(load({ 'model.path': 'models/a: b' }).model.path).toBe('models/a: b');
    expect(load({ 'train.resume': 'null' }).train.resume).toBeNull();
    expect(load({ 'train.resume': 'runs/x/checkpoints/step-2' }).train.resume).toBe('runs/x/checkpoints/step-2');
  });

  test('lists, numbers, booleans and null by the schema; a glob with [] stays one path', () => {
    expect(load({ 'data.train': '[a.jsonl, "b #1.jsonl"]' }).data.train).toEqual(['a.jsonl', 'b #1.jsonl']);
    expect(load({ 'data.train': 'data/[ab].jsonl' }).data.train).toEqual(['data/[ab].jsonl']);
    expect(load({ 'data.columns.negatives': '[n1, n2]' }).data.columns.negatives).toEqual(['n1', 'n2']);
    expect(load({ 'data.columns.language': 'null' }).data.columns.language).toBeNull();
    const r = load({ 'train.lr': '.5e-4', 'train.seed': '7', 'data.shuffle': 'false', 'train.max_steps': 'null' });
    expect([r.train.lr, r.train.seed, r.data.shuffle, r.train.max_steps]).toEqual([5e-5, 7, false, null]);
  });

  test('a value that does not read as its kind names the flag, the key and the value', () => {
    expect(() => load({ 'data.shuffle': 'yes' })).toThrow('--data.shuffle (command line): "data.shuffle" must be true or false (got "yes")');
    expect(() => load({ 'train.batch_size': '8 # eight' })).toThrow('--train.batch_size (command line): "train.batch_size" must be a number (got "8 # eight")');
    expect(() => load({ 'train.max_steps': '1e400' })).toThrow('"train.max_steps" must be a number (got Infinity)');
    expect(() => load({ 'train.output_dir': '' })).toThrow('--train.output_dir (command line): "train.output_dir" must be a non-empty string (got "")');
    expect(() => load({ 'train.epochs': 'null' })).toThrow('--train.epochs (command line): "train.epochs" must be a number (got "null")');
  });
});

describe('unknown override keys are errors with a did-you-mean', () => {
  const file = () => write(tempDir(), 'r.yaml', MINIMAL);
  test.each([
    ['train.max-steps', 'did you mean --train.max_steps?'],
    ['max_steps', 'did you mean --train.max_steps?'],
    ['data.num_negatives2', 'did you mean --data.num_negatives?'],
    ['train.learning_rate', '(known: batch_size, lr,'],
  ])('--%s', (key, hint) => {
    expect(() => loadRecipe(file(), { [key]: '2' })).toThrow(`override --${key}: unknown key`);
    expect(() => loadRecipe(file(), { [key]: '2' })).toThrow(hint);
  });

  test('a section given a value', () => {
    expect(() => loadRecipe(file(), { train: '5' })).toThrow('override --train: "train" is a section, not a value; set one of its keys, e.g. --train.batch_size VALUE');
  });

  test('an unknown key in the file gets the same hint', () => {
    expect(() => loadRecipe(write(tempDir(), 'r.yaml', MINIMAL.replace('{output_dir: runs/x}', '{output_dir: runs/x, max-steps: 3}')))).toThrow(
      'unknown key "train.max-steps" (known: batch_size,',
    );
    expect(() => loadRecipe(write(tempDir(), 'r.yaml', MINIMAL.replace('{output_dir: runs/x}', '{output_dir: runs/x, max-steps: 3}')))).toThrow('did you mean train.max_steps?');
  });
});

describe('range checks name the key, the value and the range', () => {
  const inFile = (train: string) => () => loadRecipe(write(tempDir(), 'r.yaml', MINIMAL.replace('{output_dir: runs/x}', `{output_dir: runs/x, ${train}}`)));
  const override = (key: string, value: string) => () => loadRecipe(write(tempDir(), 'r.yaml', MINIMAL), { [key]: value });

  test.each([
    ['train.lr', '0', 'must be > 0 (got 0)'],
    ['train.lr', '-1e-5', 'must be > 0 (got -0.00001)'],
    ['train.weight_decay', '-0.1', 'must be at least 0 (got -0.1)'],
    ['train.max_grad_norm', '0', 'must be > 0, or null (got 0)'],
    ['train.warmup_ratio', '1.5', 'must be in [0, 1] (got 1.5)'],
    ['train.warmup_ratio', '-0.1', 'must be in [0, 1] (got -0.1)'],
    ['loss.scale', '0', 'must be > 0 (got 0)'],
    ['train.batch_size', '0', 'must be at least 1 (got 0)'],
    ['loss.mini_batch_size', '0', 'must be at least 1 (got 0)'],
  ])('--%s %s', (key, value, message) => {
    expect(override(key, value)).toThrow(`--${key} (command line): "${key}" ${message}`);
  });

  test('in the file too, naming the file; the bounds themselves are allowed', () => {
    expect(inFile('lr: 0')).toThrow(/r\.yaml: "train\.lr" must be > 0 \(got 0\)/);
    expect(inFile('warmup_ratio: 2')).toThrow(/r\.yaml: "train\.warmup_ratio" must be in \[0, 1\] \(got 2\)/);
    const r = loadRecipe(write(tempDir(), 'r.yaml', MINIMAL.replace('{output_dir: runs/x}', '{output_dir: runs/x, weight_decay: 0, warmup_ratio: 1, max_grad_norm: null}')));
    expect([r.train.weight_decay, r.train.warmup_ratio, r.train.max_grad_norm]).toEqual([0, 1, null]);
  });

  test('warmup_steps and warmup_ratio together are an error; null on the command line drops the ratio', () => {
    const both = MINIMAL.replace('{output_dir: runs/x}', '{output_dir: runs/x, warmup_ratio: 0.1}');
    expect(() => loadRecipe(write(tempDir(), 'r.yaml', both), { 'train.warmup_steps': '10' })).toThrow(
      'train.warmup_steps (10) and train.warmup_ratio (0.1) are both set; set one of them',
    );
    const r = loadRecipe(write(tempDir(), 'r.yaml', both), { 'train.warmup_steps': '10', 'train.warmup_ratio': 'null' });
    expect([r.train.warmup_steps, r.train.warmup_ratio]).toEqual([10, undefined]);
    const steps = MINIMAL.replace('{output_dir: runs/x}', '{output_dir: runs/x, warmup_steps: 20}');
    expect(() => loadRecipe(write(tempDir(), 'r.yaml', steps), { 'train.warmup_ratio': '0.1' })).toThrow(
      "--train.warmup_ratio (command line): train.warmup_steps (20) and train.warmup_ratio (0.1) are both set; set one of them (--train.warmup_steps null drops the recipe's value)",
    );
    const s = loadRecipe(write(tempDir(), 'r.yaml', steps), { 'train.warmup_ratio': '0.1', 'train.warmup_steps': 'null' });
    expect([s.train.warmup_steps, s.train.warmup_ratio]).toEqual([0, 0.1]);
  });
});
