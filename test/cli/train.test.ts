// `densetrain train` and `check-data` through the CLI entry, in-process: dotted overrides reach
// the recipe, and the run writes what the contract says.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it, vi } from 'vitest';
import { main, recipeOverrides } from '../../src/cli/main.js';

const ROOT = new URL('../../', import.meta.url).pathname;

it('recipeOverrides reads --a.b value and --a.b=value, and nothing else', () => {
  expect(recipeOverrides(['train', '--recipe', 'r.yaml', '--train.lr', '2e-5', '--data.shuffle=false', '--backend', 'wasm'])).toEqual({ 'train.lr': '2e-5', 'data.shuffle': 'false' });
  expect(() => recipeOverrides(['train', '--train.lr'])).toThrow('--train.lr needs a value');
});

it('train writes metrics.jsonl, checkpoints and final/ as the contract says; check-data prints its summary', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-cli-train-'));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const recipe = path.join(ROOT, 'recipes', 'demo-contrastive.yaml');
    const common = ['--data.train', path.join(ROOT, 'data/demo/train.jsonl'), '--model.path', path.join(ROOT, 'models/default')];
    expect(await main(['train', '--recipe', recipe, '--backend', 'wasm', ...common, '--train.max_steps', '4', '--train.save_every', '2',
      '--train.batch_size', '8', '--eval.data', path.join(ROOT, 'data/demo/eval'), '--eval.every', '4', '--train.output_dir', out])).toBe(0);
    // auto: onnxruntime where tfjs has no native backend; the first line says what runs.
    expect(log.mock.calls[0][0]).toMatch(/^densetrain: engine onnx, onnxruntime-node [\d.]+ cpu execution provider, \d+ threads, memory budget [\d.]+ [MG]B \(micro-batches in as few step-graph parts as fit\)$/);
    const rows = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    for (const r of rows) for (const k of ['step', 'loss', 'lr', 'grad_norm', 'triples_per_s']) expect(typeof r[k]).toBe('number');
    expect(rows[3]['eval_ndcg@10']).toBeGreaterThan(0);
    for (const f of ['model.safetensors', 'optimizer.safetensors', 'trainer_state.json', 'modules.json']) {
      expect(fs.existsSync(path.join(out, 'checkpoints', 'step-4', f)), f).toBe(true);
    }
    expect(fs.existsSync(path.join(out, 'final', 'model.safetensors'))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('<svg');

    log.mockClear();
    expect(await main(['train', '--recipe', recipe, '--backend', 'wasm', '--engine', 'tfjs', ...common, '--train.max_steps', '1', '--train.output_dir', path.join(out, 'tfjs')])).toBe(0);
    expect(log.mock.calls[0][0]).toMatch(/^densetrain: engine tfjs, tfjs backend wasm on CPU/);
    expect(fs.existsSync(path.join(out, 'tfjs', 'final', 'model.safetensors'))).toBe(true);

    log.mockClear();
    expect(await main(['check-data', '--recipe', recipe, ...common, '--train.batch_size', '100'])).toBe(0);
    const summary = JSON.parse(log.mock.calls.at(-1)![0]);
    expect(summary.records + summary.skipped).toBe(fs.readFileSync(path.join(ROOT, 'data/demo/train.jsonl'), 'utf8').trim().split('\n').length);
    expect(summary.batches).toBeGreaterThanOrEqual(Math.ceil(summary.records / 100)); // no_duplicates may close a batch early
    expect(Object.keys(summary.languages).sort()).toEqual(['de', 'en', 'es', 'fr']);
  } finally {
    log.mockRestore();
  }
});
