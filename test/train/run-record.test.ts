// The run record: the resolved recipe as YAML loads back into the same recipe (every default and
// override in it), environment.json names real versions and the machine, a resumed launch keeps
// the first launch's files, and nothing is left under a temporary name.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRecipe } from '../../src/train/recipe.js';
import { describeEnvironment, writeRunRecord } from '../../src/train/run-record.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-runrecord-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const pkgVersion = (file: string) => JSON.parse(fs.readFileSync(new URL(file, import.meta.url), 'utf8')).version;

function recipeFile(): string {
  const file = path.join(tmp, 'recipe.yaml');
  fs.writeFileSync(file, [
    'model: {path: some/model}',
    'data: {train: [a.jsonl, b.jsonl], columns: {negatives: "negatives[].document"}}',
    'loss: {name: cached_mnrl}',
    `train: {output_dir: ${path.join(tmp, 'run')}, warmup_ratio: 0.1}`,
    'eval: {data: beir-dir}',
  ].join('\n'));
  return file;
}

describe('writeRunRecord', () => {
  const recipe = loadRecipe(recipeFile(), { 'train.lr': '3e-5', 'train.report_to': 'tensorboard' });
  const out = path.join(tmp, 'run');
  fs.mkdirSync(out);
  const engine = { name: 'onnx', description: 'densetrain: engine onnx, onnxruntime-node 1.30.0 cpu execution provider, 3 threads' };

  it('writes the resolved recipe, which loads back into the same recipe, defaults and overrides included', () => {
    const { recipeFile: written } = writeRunRecord(out, recipe, describeEnvironment(engine, recipe));
    expect(written).toBe(path.join(out, 'recipe.resolved.yaml'));
    const text = fs.readFileSync(written, 'utf8');
    const doc = YAML.parse(text);
    expect(doc.train.lr).toBe(3e-5); // the override
    expect(doc.train.report_to).toEqual(['tensorboard']);
    expect(doc.train.batch_size).toBe(32); // a default
    expect(doc.loss.mini_batch_size).toBe(32);
    expect(doc.data.negative_sampling).toBe('first');
    expect(doc.eval).toEqual({ data: 'beir-dir', every: 500, split: 'test' });
    expect(loadRecipe(written)).toEqual(recipe);
    expect(fs.readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('records versions, engine, provider, threads, CPU and OS', () => {
    const { environmentFile } = writeRunRecord(out, recipe, describeEnvironment(engine, recipe, new Date('2026-01-02T03:04:05Z')));
    const env = JSON.parse(fs.readFileSync(environmentFile, 'utf8'));
    expect(env.started).toBe('2026-01-02T03:04:05.000Z');
    expect(env.densetrain).toBe(pkgVersion('../../package.json'));
    expect(env.node).toBe(process.versions.node);
    expect(env.packages['onnxruntime-node']).toBe(pkgVersion('../../node_modules/onnxruntime-node/package.json'));
    expect(env.packages).not.toHaveProperty('@tensorflow/tfjs'); // an onnx run: tfjs computed nothing
    expect(env.engine).toEqual({ name: 'onnx', description: engine.description, execution_provider: 'cpu', threads: 3 });
    expect(env.cpu).toEqual({ model: os.cpus()[0].model.trim(), cores: os.availableParallelism() });
    expect(env.os).toEqual({ platform: os.platform(), release: os.release(), arch: os.arch() });
    expect(env.gpus === null || Array.isArray(env.gpus)).toBe(true);
    const tfjs = describeEnvironment({ name: 'tfjs', description: 'densetrain: engine tfjs, wasm backend' }, recipe);
    expect(tfjs.engine).toMatchObject({ execution_provider: null, threads: null }); // said nowhere: not guessed
    expect(tfjs.packages['@tensorflow/tfjs']).toBe(pkgVersion('../../node_modules/@tensorflow/tfjs/package.json'));
  });

  it('a resumed launch writes its own pair and keeps the first', () => {
    const first = fs.readFileSync(path.join(out, 'recipe.resolved.yaml'), 'utf8');
    const longer = { ...recipe, train: { ...recipe.train, max_steps: 40 } };
    const r = writeRunRecord(out, longer, describeEnvironment(engine, longer), 20);
    expect(path.basename(r.recipeFile)).toBe('recipe.resolved.resume-step-20.yaml');
    expect(path.basename(r.environmentFile)).toBe('environment.resume-step-20.json');
    expect(YAML.parse(fs.readFileSync(r.recipeFile, 'utf8')).train.max_steps).toBe(40);
    expect(fs.readFileSync(path.join(out, 'recipe.resolved.yaml'), 'utf8')).toBe(first);
  });
});

describe('train.report_to', () => {
  const load = (value: string) => loadRecipe(recipeFile(), { 'train.report_to': value }).train.report_to;
  it('takes a name or a list, none meaning nothing, default nothing', () => {
    expect(loadRecipe(recipeFile()).train.report_to).toEqual([]);
    expect(load('tensorboard')).toEqual(['tensorboard']);
    expect(load('[tensorboard, none]')).toEqual(['tensorboard']);
    expect(load('none')).toEqual([]);
  });
  it('names the key and the choices for anything else', () => {
    expect(() => load('wandb')).toThrow(/"train\.report_to" must be one of tensorboard, none, or a list of them \(got "wandb"\)/);
    expect(() => load('[tensorboard, 3]')).toThrow(/"train\.report_to" must be one of/);
  });
});
