// Data-parallel training under Open MPI's mpirun (2 ranks on this machine, tiny-bert, onnx engine):
// 2 ranks x batch B reproduce one process with gradient accumulation 2 x batch B; rank 0 alone
// writes; a checkpoint resumes under mpirun as an uninterrupted run, and only with its world size;
// a failing rank ends the job with its message; loss.gather_across_devices makes 2 ranks x B one
// batch of 2B for MNRL; with dropout on, both hold. Skipped where mpirun is not installed. Without
// mpirun: the padding and the block-ordered gradient sums that make the gather exact.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/model/safetensors.js';
import { listCheckpoints, readTrainerState } from '../../src/train/checkpoint.js';
import { providerConfig } from '../../src/graphs/training/train-step.js';
import { openOnnxEngine } from '../../src/train/onnx-engine.js';
import { lossAndGradients } from '../../src/train/step.js';
import { modeFor } from '../helpers/step-mode.js';
import { type LossBatch, type LossConfig, padRows } from '../../src/losses/batch.js';
import { readModelFolder } from '../../src/model/folder.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { localRank, underMpiLauncher } from '../../src/train/mpi.js';
import { loadRecipe } from '../../src/train/recipe.js';
import { type MetricsRow, train } from '../../src/train/trainer.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;
const HAVE_MPIRUN = spawnSync('mpirun', ['--version']).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-mpi-'));
const quiet = { log: () => {} };

function writeData(): string {
  const exp = JSON.parse(fs.readFileSync(`${FIX}tiny-bert.expected.json`, 'utf8'));
  const rows: string[] = [];
  for (const b of [exp.batch, exp.batch2]) b.query.forEach((q: string, i: number) => rows.push(JSON.stringify({ query: q, positive: b.positive[i], negative: b.negative[i] })));
  const file = path.join(tmp, 'train.jsonl');
  fs.writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

/** tiny-bert with dropout 0.1 (the fixture's rates are 0): training draws masks. */
function dropoutModel(): string {
  const dir = path.join(tmp, 'tiny-bert-dropout');
  if (fs.existsSync(dir)) return dir;
  fs.cpSync(`${FIX}tiny-bert`, dir, { recursive: true });
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 }));
  return dir;
}

/** A recipe file: tiny-bert as the fixture has it (or `model`), shuffled data, clipping, warmup, checkpoints every 2 steps. */
function recipeFile(name: string, model = `${FIX}tiny-bert`): string {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, [
    `model: {path: ${model}}`,
    `data: {train: [${writeData()}], columns: {negatives: [negative]}, shuffle: true, tokenize_workers: 1}`,
    'loss: {name: mnrl}',
    `train: {engine: onnx, batch_size: 4, lr: 1.0e-3, schedule: constant, warmup_steps: 0, max_grad_norm: 0.5, max_steps: 4, save_every: 2, save_total_limit: 5, seed: 7, output_dir: ${path.join(tmp, name)}}`,
  ].join('\n'));
  return file;
}

/** `mpirun -np 2` of the entry script; its exit status, output and wall time. */
function mpirun(file: string, overrides: string[] = [], env: Record<string, string> = {}): { status: number | null; out: string; seconds: number } {
  const started = performance.now();
  const r = spawnSync('mpirun', ['--allow-run-as-root', '--oversubscribe', '-np', '2', 'node', '--import', 'tsx', 'test/helpers/mpi-train.ts', file, ...overrides], {
    cwd: ROOT, encoding: 'utf8', timeout: 180_000, env: { ...process.env, ...env },
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, seconds: (performance.now() - started) / 1000 };
}

const readRows = (dir: string): MetricsRow[] => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** |a - b| for every weight of two model folders. */
function weightDiffs(dirA: string, dirB: string): number[] {
  const a = readSafetensors(path.join(dirA, 'model.safetensors')), b = readSafetensors(path.join(dirB, 'model.safetensors'));
  const out: number[] = [];
  for (const [k, t] of a) t.data.forEach((v, i) => out.push(Math.abs(v - b.get(k)!.data[i])));
  return out;
}

const worstWeightDiff = (dirA: string, dirB: string): number => weightDiffs(dirA, dirB).reduce((a, b) => Math.max(a, b), 0);

function expectSameRun(a: MetricsRow[], b: MetricsRow[]): void {
  expect(b.map((r) => r.step)).toEqual(a.map((r) => r.step));
  for (const key of ['loss', 'grad_norm'] as const) a.forEach((r, i) => expect(Math.abs(r[key] - b[i][key]) / Math.abs(r[key]), `${key} at step ${r.step}`).toBeLessThanOrEqual(1e-6));
}

describe.skipIf(!HAVE_MPIRUN)('training under mpirun -np 2 (skipped: mpirun not installed; apt-get install openmpi-bin)', () => {
  it('2 ranks x batch 4 reproduce 1 process x accumulation 2 x batch 4 (losses, grad norms, weights <= 1e-6); rank 0 alone writes', async () => {
    const single = await train(loadRecipe(recipeFile('single'), { 'train.gradient_accumulation_steps': '2' }), quiet);
    const r = mpirun(recipeFile('ranks'));
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(new RegExp(`rank 0/2 on ${os.hostname()} \\(local rank 0,`));
    expect(r.out).toMatch(new RegExp(`rank 1/2 on ${os.hostname()} \\(local rank 1,`));
    const out = path.join(tmp, 'ranks');
    const rows = readRows(out);
    expect(rows.map((x) => x.step)).toEqual([1, 2, 3, 4]); // one row per step: rank 1 wrote none
    expectSameRun(readRows(path.join(tmp, 'single')), rows);
    expect(worstWeightDiff(single.finalDir, path.join(out, 'final'))).toBeLessThanOrEqual(1e-6);
    expect(listCheckpoints(out).map((c) => c.step)).toEqual([2, 4]);
    expect(readTrainerState(path.join(out, 'checkpoints', 'step-4')).world_size).toBe(2);
    // A world size other than the checkpoint's is a clear error.
    await expect(train(loadRecipe(recipeFile('ranks'), { 'train.resume': 'latest', 'train.max_steps': '6' }), quiet))
      .rejects.toThrow(/step-4\/trainer_state\.json: world_size 2, but this run has 1 rank\(s\); resume with mpirun -np 2/);
  }, 240_000);

  it('a rank that fails or is killed ends the job non-zero within seconds, naming it; the last checkpoint resumes under mpirun as an uninterrupted run', () => {
    const straight = mpirun(recipeFile('straight'));
    expect(straight.status, straight.out).toBe(0);
    const file = recipeFile('crashed');
    const crash = mpirun(file, [], { MPI_TEST_FAIL: '1:3' });
    expect(crash.status).not.toBe(0);
    expect(crash.out).toMatch(/rank 1\/2 failed: simulated failure at step 3/);
    expect(crash.seconds).toBeLessThan(60);
    const out = path.join(tmp, 'crashed');
    expect(listCheckpoints(out).map((c) => c.step)).toEqual([2]);
    const resumed = mpirun(file, ['train.resume=latest']);
    expect(resumed.status, resumed.out).toBe(0);
    expectSameRun(readRows(path.join(tmp, 'straight')), readRows(out));
    expect(worstWeightDiff(path.join(tmp, 'straight', 'final'), path.join(out, 'final'))).toBe(0);

    // A rank killed outright (no message of its own): mpirun ends the job and names it.
    const killedFile = recipeFile('killed');
    const killed = mpirun(killedFile, [], { MPI_TEST_KILL: '1:3' });
    expect(killed.status).not.toBe(0);
    expect(killed.out).toMatch(/process rank 1 .*exited on signal 9/);
    expect(killed.seconds).toBeLessThan(60);
    expect(listCheckpoints(path.join(tmp, 'killed')).map((c) => c.step)).toEqual([2]);
    expect(mpirun(killedFile, ['train.resume=latest']).status).toBe(0);
    expect(worstWeightDiff(path.join(tmp, 'straight', 'final'), path.join(tmp, 'killed', 'final'))).toBe(0);
  }, 300_000);

  /** 1 process x batch 8 against 2 ranks x batch 4 with loss.gather_across_devices: metrics and every weight <= 1e-6. */
  async function expectGatherReproduces(name: string, model?: string): Promise<void> {
    // Chunks aligned to the ranks' 4-row blocks: one process adds the ranks' float32 partial sums in their order (else 2e-6 in 2 weights).
    const single = await train(loadRecipe(recipeFile(`${name}-single`, model), { 'train.batch_size': '8' }), { ...quiet, gradientBlockRows: 4 });
    const r = mpirun(recipeFile(`${name}-ranks`, model), ['loss.gather_across_devices=true']);
    expect(r.status, r.out).toBe(0);
    const out = path.join(tmp, `${name}-ranks`);
    expectSameRun(readRows(path.join(tmp, `${name}-single`)), readRows(out));
    expect(worstWeightDiff(single.finalDir, path.join(out, 'final'))).toBeLessThanOrEqual(1e-6);
  }

  it('loss.gather_across_devices: 2 ranks x batch 4 reproduce 1 process x batch 8 under MNRL (losses, grad norms, every weight <= 1e-6)', () => expectGatherReproduces('gather'), 240_000);

  it('with dropout, 2 ranks x batch 4 reproduce 1 process x accumulation 2 x batch 4: rank r draws micro-batch r\'s masks', async () => {
    const model = dropoutModel();
    const single = await train(loadRecipe(recipeFile('dropout-single', model), { 'train.gradient_accumulation_steps': '2' }), quiet);
    const r = mpirun(recipeFile('dropout-ranks', model));
    expect(r.status, r.out).toBe(0);
    const out = path.join(tmp, 'dropout-ranks');
    expectSameRun(readRows(path.join(tmp, 'dropout-single')), readRows(out));
    expect(worstWeightDiff(single.finalDir, path.join(out, 'final'))).toBeLessThanOrEqual(1e-6);
    // The masks matter: without dropout the same run ends elsewhere.
    const plain = await train(loadRecipe(recipeFile('nodropout-single'), { 'train.gradient_accumulation_steps': '2' }), quiet);
    expect(worstWeightDiff(single.finalDir, plain.finalDir)).toBeGreaterThan(1e-4);
  }, 240_000);

  it('with dropout and loss.gather_across_devices, 2 ranks x batch 4 reproduce 1 process x batch 8: rank r draws the masks of rows [4r, 4r + 4)', () =>
    expectGatherReproduces('gather-dropout', dropoutModel()), 240_000);

  it('the tfjs engine under mpirun is a clear error, not a hang', () => {
    const r = mpirun(recipeFile('tfjs'), ['train.engine=tfjs']);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/rank [01]\/2 failed: train\.engine: MPI needs the onnx engine/);
  }, 120_000);
});

it('loss.gather_across_devices with margin_mse is a recipe error naming the key', () => {
  expect(() => loadRecipe(recipeFile('gather-mse'), { 'loss.name': 'margin_mse', 'loss.gather_across_devices': 'true' }))
    .toThrow(/gather-mse\.yaml: loss\.gather_across_devices gathers in-batch negatives, which margin_mse does not score/);
});

it('the launcher is told by its variables, and the local rank picks the GPU of the cuda provider', () => {
  expect(underMpiLauncher({})).toBe(false);
  expect(underMpiLauncher({ OMPI_COMM_WORLD_SIZE: '2' })).toBe(true);
  expect(underMpiLauncher({ PMI_SIZE: '4' })).toBe(true);
  expect(localRank({ OMPI_COMM_WORLD_LOCAL_RANK: '3' })).toBe(3);
  expect(localRank({ SLURM_LOCALID: '1' })).toBe(1);
  expect(localRank({})).toBeUndefined();
  expect(providerConfig('cuda', 1)).toEqual({ name: 'cuda', deviceId: 1 });
  expect(providerConfig('cpu', 1)).toBe('cpu');
  expect(providerConfig('cuda')).toBe('cuda');
});

describe('the global batch on one process: padded as one batch, gradients summed in rank-sized blocks', () => {
  const MNRL: LossConfig = { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 };
  const folder = readModelFolder(`${FIX}tiny-bert`);
  const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
  const b = JSON.parse(fs.readFileSync(`${FIX}tiny-bert.expected.json`, 'utf8')).batch;
  const batch: LossBatch = { query: tok.encodeBatch(b.query), positive: tok.encodeBatch(b.positive), negatives: [tok.encodeBatch(b.negative)] };
  /** ||a - g|| / ||a|| over all gradients (float32 sums in another order differ by rounding, not more). */
  const relDiff = (a: TensorMap, g: TensorMap) => {
    let num = 0, den = 0;
    for (const [name, t] of a) t.data.forEach((v, i) => { num += (v - g.get(name)!.data[i]) ** 2; den += v * v; });
    return Math.sqrt(num / den);
  };

  it('padRows keeps every token and masks the padding, so the loss and gradients do not change (<= 1e-6)', async () => {
    const q = batch.query, wide = padRows(q, q.seqLen + 3, tok.padId);
    expect(wide.seqLen).toBe(q.seqLen + 3);
    for (let r = 0; r < q.batchSize; r++) {
      const row = (x: Int32Array, L: number) => [...x.subarray(r * L, (r + 1) * L)];
      expect(row(wide.inputIds, wide.seqLen)).toEqual([...row(q.inputIds, q.seqLen), tok.padId, tok.padId, tok.padId]);
      expect(row(wide.attentionMask, wide.seqLen)).toEqual([...row(q.attentionMask, q.seqLen), 0, 0, 0]);
    }
    expect(padRows(q, q.seqLen, tok.padId)).toBe(q);
    expect(() => padRows(q, q.seqLen - 1, tok.padId)).toThrow(/tokens do not fit/);
    const engine = await openOnnxEngine(folder, { threads: 1 });
    try {
      const plain = await lossAndGradients(engine, MNRL, batch, modeFor());
      const pad = (c: typeof q) => padRows(c, c.seqLen + 3, tok.padId);
      const padded = await lossAndGradients(engine, MNRL, { query: pad(batch.query), positive: pad(batch.positive), negatives: batch.negatives.map(pad) }, modeFor());
      expect(Math.abs(padded.loss - plain.loss) / plain.loss).toBeLessThanOrEqual(1e-6);
      expect(relDiff(plain.grads, padded.grads)).toBeLessThanOrEqual(1e-6);
    } finally {
      await engine.dispose();
    }
  });

  it('blockRows changes only the order of the gradient sums (<= 1e-6), and must be a positive integer', async () => {
    const engine = await openOnnxEngine(folder, { threads: 1 });
    try {
      const a = await lossAndGradients(engine, MNRL, batch, modeFor(5)), g = await lossAndGradients(engine, MNRL, batch, { ...modeFor(5), blockRows: 3 });
      expect(g.loss).toBe(a.loss);
      expect(relDiff(a.grads, g.grads)).toBeLessThanOrEqual(1e-6);
      await expect(lossAndGradients(engine, MNRL, batch, { ...modeFor(5), blockRows: 0 })).rejects.toThrow(/blockRows must be a positive integer, not 0/);
    } finally {
      await engine.dispose();
    }
  });
});
