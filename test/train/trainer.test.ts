// The training loop end to end on tiny-bert: exact resume, crash safety, NaN stop, flat tensor
// count, gradient accumulation. Data is written by the test.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { listCheckpoints } from '../../src/train/checkpoint.js';
import { loadRecipe, type Recipe } from '../../src/train/recipe.js';
import { type MetricsRow, train } from '../../src/train/trainer.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-trainer-'));
const quiet = { log: () => {} };

/** tiny-bert with dropout on, so resume must also replay dropout masks. */
function modelWithDropout(): string {
  const dir = path.join(tmp, 'tiny-bert-dropout');
  fs.cpSync(`${FIX}tiny-bert`, dir, { recursive: true });
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 }));
  return dir;
}

function writeData(): string {
  const exp = JSON.parse(fs.readFileSync(`${FIX}tiny-bert.expected.json`, 'utf8'));
  const rows: string[] = [];
  for (const b of [exp.batch, exp.batch2]) {
    b.query.forEach((q: string, i: number) => {
      rows.push(JSON.stringify({
        query: q, positive: b.positive[i], positive_score: 9,
        negatives: [{ document: b.negative[i], cross_encoder_score: 2 + i / 10 }, { document: b.positive[(i + 1) % 8], cross_encoder_score: 1 }],
      }));
    });
  }
  const file = path.join(tmp, 'train.jsonl');
  fs.writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

function recipe(name: string, extra: Record<string, string> = {}, model = path.join(tmp, 'tiny-bert-dropout')): Recipe {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, [
    `model: {path: ${model}}`,
    `data: {train: [${path.join(tmp, 'train.jsonl')}], columns: {negatives: "negatives[].document", negative_scores: "negatives[].cross_encoder_score"}, num_negatives: 1, shuffle: true, tokenize_workers: 1}`,
    'loss: {name: mnrl}',
    `train: {batch_size: 4, lr: 1.0e-3, schedule: linear, warmup_steps: 3, max_steps: 20, save_every: 5, save_total_limit: 2, seed: 7, output_dir: ${path.join(tmp, name)}}`,
  ].join('\n'));
  return loadRecipe(file, extra);
}

const strip = (rows: MetricsRow[]) => rows.map(({ triples_per_s: _, ...r }) => r);
const readRows = (dir: string): MetricsRow[] => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

beforeAll(async () => {
  await initBackend('wasm');
  modelWithDropout();
  writeData();
});

/** Largest absolute difference between two runs' final weights. */
function weightDiff(dirA: string, dirB: string): number {
  const a = readSafetensors(path.join(dirA, 'model.safetensors'));
  const b = readSafetensors(path.join(dirB, 'model.safetensors'));
  let worst = 0;
  for (const [k, t] of a) t.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b.get(k)!.data[i]))));
  return worst;
}

/** Per-step relative differences of a metrics column between two runs. */
function relDiffs(a: MetricsRow[], b: MetricsRow[], key: 'loss' | 'grad_norm'): number[] {
  expect(b.map((r) => r.step)).toEqual(a.map((r) => r.step));
  return a.map((r, i) => Math.abs(r[key] - b[i][key]) / Math.abs(r[key]));
}

describe.each(['tfjs', 'onnx'])('train on the %s engine', (engine) => {
  it('20 steps straight equal 10 steps, a crash, and a resume (weights <= 1e-6, same metrics rows); tensor count stays flat', async () => {
    const counts: number[] = [];
    const lines: string[] = [];
    const straight = await train(recipe(`straight-${engine}`, { 'train.engine': engine }), { log: (l) => lines.push(l), onStep: () => counts.push(tf.memory().numTensors) });
    expect(lines[0]).toMatch(new RegExp(`^densetrain: engine ${engine}, .*(threads?|thread\\))`));
    expect(straight.steps).toBe(20);
    expect(new Set(counts.slice(1)).size).toBe(1); // the first step creates nothing that stays, the rest neither

    const r = recipe(`resumed-${engine}`, { 'train.engine': engine });
    await expect(train(r, { ...quiet, onStep: (row) => { if (row.step === 12) throw new Error('simulated crash'); } })).rejects.toThrow('simulated crash');
    expect(listCheckpoints(r.train.output_dir).map((c) => c.step)).toEqual([5, 10]);
    const resumed = await train(recipe(`resumed-${engine}`, { 'train.engine': engine, 'train.resume': 'latest' }), quiet);
    expect(resumed.steps).toBe(20);

    expect(weightDiff(straight.finalDir, resumed.finalDir)).toBeLessThanOrEqual(1e-6);
    expect(strip(readRows(path.join(tmp, `resumed-${engine}`)))).toEqual(strip(readRows(path.join(tmp, `straight-${engine}`))));
    const rows = readRows(path.join(tmp, `straight-${engine}`));
    expect(rows.map((x) => x.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(rows[0].lr).toBe(0); // warmup starts at 0, as transformers' schedulers
    expect(rows[3].lr).toBeCloseTo(1e-3, 12);
    expect(rows[19].lr).toBeCloseTo(1e-3 / 17, 12); // linear decay: lr * (20 - 19) / (20 - 3)
    // Kept: the last two checkpoints.
    expect(listCheckpoints(path.join(tmp, `straight-${engine}`)).map((c) => c.step)).toEqual([15, 20]);
  });

  it('a NaN loss stops the run with a clear error and leaves the last good checkpoint intact', async () => {
    const r = recipe(`nan-${engine}`, { 'train.engine': engine, 'train.max_steps': '4', 'train.save_every': '2' });
    await train(r, quiet);
    const before = fs.readFileSync(path.join(r.train.output_dir, 'checkpoints', 'step-4', 'model.safetensors'));
    // A resume may change the learning rate (not the loss, which the checkpoint pins): one huge step
    // (step 5, lr 8e29) blows the weights up, so step 6's loss is not finite.
    await expect(train(recipe(`nan-${engine}`, { 'train.engine': engine, 'train.max_steps': '8', 'train.save_every': '2', 'train.resume': 'latest', 'train.lr': '1e30' }), quiet))
      .rejects.toThrow(/loss is (NaN|Infinity) at step 6.*checkpoints\/step-4/);
    expect(fs.readFileSync(path.join(r.train.output_dir, 'checkpoints', 'step-4', 'model.safetensors'))).toEqual(before);
  });

  it('margin_mse with gradient accumulation 2 x 4 equals one batch of 8 (dropout off)', async () => {
    const common = { 'loss.name': 'margin_mse', 'data.shuffle': 'false', 'train.max_steps': '2', 'train.schedule': 'constant', 'train.warmup_steps': '0', 'train.max_grad_norm': 'null' };
    // Without dropout: a batch of 8 and two of 4 cannot draw the same masks.
    const whole = await train(recipe(`accum-whole-${engine}`, { 'train.engine': engine, ...common, 'train.batch_size': '8' }, `${FIX}tiny-bert`), quiet);
    const split = await train(recipe(`accum-split-${engine}`, { 'train.engine': engine, ...common, 'train.batch_size': '4', 'train.gradient_accumulation_steps': '2' }, `${FIX}tiny-bert`), quiet);
    const a = readSafetensors(path.join(whole.finalDir, 'model.safetensors'));
    const b = readSafetensors(path.join(split.finalDir, 'model.safetensors'));
    let worst = 0;
    for (const [k, t] of a) t.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b.get(k)!.data[i]))));
    expect(worst).toBeLessThan(1e-6);
    expect(readRows(path.join(tmp, `accum-split-${engine}`)).map((x) => x.loss)).toEqual(readRows(path.join(tmp, `accum-whole-${engine}`)).map((x) => x.loss).map((l) => expect.closeTo(l, 5)));
  });
});

// Both engines run the same math (losses, dropout masks, AdamW, schedule, clipping) in float32 with
// different summation orders: per-step losses agree to float32 rounding, amplified a little by 20 steps.
describe('tfjs and onnx engines', () => {
  it('the same recipe for 20 steps (dropout 0.1, clipping, warmup) gives the same losses and gradient norms (<= 1e-4 relative)', async () => {
    const a = await train(recipe('same-tfjs', { 'train.engine': 'tfjs' }), quiet);
    const b = await train(recipe('same-onnx', { 'train.engine': 'onnx' }), quiet);
    const ra = readRows(path.join(tmp, 'same-tfjs')), rb = readRows(path.join(tmp, 'same-onnx'));
    expect(ra).toHaveLength(20);
    expect(Math.max(...relDiffs(ra, rb, 'loss'))).toBeLessThan(1e-4);
    expect(Math.max(...relDiffs(ra, rb, 'grad_norm'))).toBeLessThan(1e-4);
    expect(weightDiff(a.finalDir, b.finalDir)).toBeLessThan(1e-4);
    // Training moved the weights far more (50x) than the engines may differ; the distance depends on
    // the run's dropout masks (0.00998 with the hashed step seeds).
    expect(weightDiff(a.finalDir, path.join(tmp, 'tiny-bert-dropout'))).toBeGreaterThan(50 * 1e-4);
  });

  it('a checkpoint written by one engine resumes on the other', async () => {
    for (const [first, second] of [['tfjs', 'onnx'], ['onnx', 'tfjs']]) {
      const name = `cross-${first}-${second}`;
      await expect(train(recipe(name, { 'train.engine': first }), { ...quiet, onStep: (row) => { if (row.step === 11) throw new Error('stop'); } })).rejects.toThrow('stop');
      const resumed = await train(recipe(name, { 'train.engine': second, 'train.resume': 'latest' }), quiet);
      expect(resumed.steps).toBe(20);
      // Steps 11..20 on the second engine continue the first engine's run: as the same-engine run of either.
      const rows = readRows(path.join(tmp, name));
      expect(rows.map((r) => r.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(Math.max(...relDiffs(readRows(path.join(tmp, `same-${first}`)), rows, 'loss'))).toBeLessThan(1e-4);
      expect(weightDiff(resumed.finalDir, path.join(tmp, `same-${second}`, 'final'))).toBeLessThan(1e-4);
    }
  });
});

describe('train', () => {
  it('a model the engine cannot build, or an execution provider onnxruntime cannot open, fails before any training, naming it', async () => {
    const gpt2 = path.join(tmp, 'gpt2');
    fs.cpSync(`${FIX}tiny-bert`, gpt2, { recursive: true });
    const cfg = JSON.parse(fs.readFileSync(path.join(gpt2, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(gpt2, 'config.json'), JSON.stringify({ ...cfg, model_type: 'gpt2' }));
    await expect(train(recipe('bad-arch', { 'train.engine': 'onnx' }, gpt2), quiet)).rejects.toThrow(`${gpt2}/config.json: model_type "gpt2" is not supported`);
    // This machine's onnxruntime-node has no CUDA provider (its download is skipped here).
    await expect(train(recipe('bad-ep', { 'train.engine': 'onnx', 'train.execution_provider': 'cuda' }), quiet)).rejects.toThrow(/cuda execution provider: .*npm rebuild onnxruntime-node/);
    await expect(train(recipe('bad-ep-tfjs', { 'train.engine': 'tfjs', 'train.execution_provider': 'cuda' }), quiet)).rejects.toThrow(/execution_provider cuda is the onnx engine's/);
    for (const name of ['bad-arch', 'bad-ep', 'bad-ep-tfjs']) {
      expect(fs.existsSync(path.join(tmp, name, 'metrics.jsonl')), name).toBe(false);
      expect(listCheckpoints(path.join(tmp, name)), name).toEqual([]);
    }
  });

  it('a run killed with SIGKILL while writing a checkpoint resumes from the previous one', async () => {
    const r = recipe('killed', { 'train.save_every': '1', 'train.max_steps': '40' });
    const script = path.join(tmp, 'run-killed.mts');
    fs.writeFileSync(script, [
      `import { initBackend } from '${ROOT}src/tfjs/backend.ts';`,
      `import { loadRecipe } from '${ROOT}src/train/recipe.ts';`,
      `import { train } from '${ROOT}src/train/trainer.ts';`,
      `await initBackend('wasm');`,
      `await train(loadRecipe('${path.join(tmp, 'killed.yaml')}', { 'train.save_every': '1', 'train.max_steps': '40' }), { log: () => {} });`,
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: 'ignore' });
    const ckpts = path.join(r.train.output_dir, 'checkpoints');
    // Kill as soon as a checkpoint is half written (its temporary folder exists) after step 3.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const names = fs.existsSync(ckpts) ? fs.readdirSync(ckpts) : [];
        if (names.some((n) => n.includes('.tmp-')) && names.includes('step-3')) {
          child.kill('SIGKILL');
          clearInterval(timer);
          resolve();
        }
      }, 1);
      child.on('exit', () => { clearInterval(timer); reject(new Error('the run ended before it could be killed')); });
    });
    await new Promise((res) => child.on('exit', res));
    const left = listCheckpoints(r.train.output_dir);
    expect(left.length).toBeGreaterThan(0);
    const resumed = await train(recipe('killed', { 'train.save_every': '1', 'train.max_steps': '40', 'train.resume': 'latest' }), quiet);
    expect(resumed.steps).toBe(40);
    expect(fs.readdirSync(ckpts).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(readRows(r.train.output_dir).map((x) => x.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});
