// A training run never loses or mixes another run's files: another run in output_dir is an error
// (or replaced, its files only), one process per folder (a pid lock, stale ones recovered),
// resume checks its checkpoint's data and loss options and survives a torn metrics line and a
// deleted base model, and file-system failures name the path, the cause and the last checkpoint.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { listCheckpoints } from '../../src/train/checkpoint.js';
import { countTotalSteps } from '../../src/train/count-steps.js';
import { LOCK_FILE } from '../../src/train/run-lock.js';
import { train } from '../../src/train/trainer.js';
import { HARD_NEGATIVES, MODEL, recipeWith, tempDir } from '../data/helpers.js';

const quiet = { log: () => {} };
const steps = (dir: string): number[] =>
  fs.readFileSync(path.join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);

/** A recipe on tiny-bert and the hard-negatives fixture, output in `dir`/out, short by default. */
const recipe = (dir: string, train: Record<string, unknown> = {}, data: Record<string, unknown> = {}) =>
  recipeWith(dir, { tokenize_workers: 1, ...data }, { max_steps: 2, save_every: 2, ...train });

beforeAll(() => initBackend('wasm'));
afterEach(() => vi.restoreAllMocks());

describe('output_dir holding another run', () => {
  it('a fresh run there is an error naming what is there and both ways on; overwriteOutputDir replaces only the run', async () => {
    const dir = tempDir();
    await train(recipe(dir), quiet);
    const out = path.join(dir, 'out');
    fs.writeFileSync(path.join(out, 'notes.md'), 'mine');
    const err = await train(recipe(dir, { max_steps: 3 }), quiet).then(() => null, (e: Error) => e.message);
    expect(err).toBe(`${out} already holds a training run (metrics.jsonl, checkpoints/ (last: step-2), final/, report.html). ` +
      'Continue it with --train.resume latest, replace it with --overwrite_output_dir, or choose another train.output_dir');
    expect(steps(dir)).toEqual([1, 2]);

    const r = await train(recipe(dir, { max_steps: 3, save_every: 3 }), { ...quiet, overwriteOutputDir: true });
    expect(r.steps).toBe(3);
    expect(steps(dir)).toEqual([1, 2, 3]); // the new run's rows only
    expect(listCheckpoints(out).map((c) => c.step)).toEqual([3]); // the old run's step-2 is gone, not mixed in
    expect(fs.readFileSync(path.join(out, 'notes.md'), 'utf8')).toBe('mine');
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
  });

  it('resume latest without a checkpoint is an error and leaves metrics.jsonl and final/ alone', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'out');
    fs.mkdirSync(path.join(out, 'final'), { recursive: true });
    fs.writeFileSync(path.join(out, 'metrics.jsonl'), '{"step": 1}\n');
    fs.writeFileSync(path.join(out, 'final', 'model.safetensors'), 'weights');
    await expect(train(recipe(dir, { resume: 'latest' }), quiet)).rejects.toThrow(`train.resume latest: ${out} has no checkpoint to resume from`);
    expect(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe('{"step": 1}\n');
    expect(fs.readFileSync(path.join(out, 'final', 'model.safetensors'), 'utf8')).toBe('weights');
  });
});

describe('one process per output_dir', () => {
  it('a live owner (another process) stops the second run at once, naming its pid; nothing is written', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: sleeper.pid, host: os.hostname(), started: 'now' }));
      await expect(train(recipe(dir), quiet)).rejects.toThrow(`${out}: another densetrain run is using this folder (pid ${sleeper.pid} on ${os.hostname()}`);
      expect(fs.readdirSync(out)).toEqual([LOCK_FILE]);
      expect(JSON.parse(fs.readFileSync(path.join(out, LOCK_FILE), 'utf8')).pid).toBe(sleeper.pid);
    } finally {
      sleeper.kill();
    }
  });

  it('a lock left by an exited process is taken over; the lock is gone after the run, and after a failed run', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    const dead = spawnSync('true').pid!;
    fs.writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: dead, host: os.hostname(), started: 'then' }));
    expect((await train(recipe(dir), quiet)).steps).toBe(2);
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
    await expect(train(recipe(dir, { resume: 'latest', max_steps: 3 }), { ...quiet, onStep: () => { throw new Error('stop'); } })).rejects.toThrow('stop');
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
  });

  it('two runs at once in one process: the second fails, the first finishes', async () => {
    const dir = tempDir();
    const first = train(recipe(dir, { max_steps: 3 }), quiet);
    await expect(train(recipe(dir), quiet)).rejects.toThrow(`pid ${process.pid}`);
    expect((await first).steps).toBe(3);
  });
});

describe('resume checks', () => {
  it('changed data or loss options: an error naming the key and both values; file lists name the file', async () => {
    const dir = tempDir();
    await train(recipe(dir, {}, { num_negatives: 1 }), quiet);
    const ckpt = path.join(dir, 'out', 'checkpoints', 'step-2');
    await expect(train(recipe(dir, { resume: 'latest', max_steps: 4 }, { num_negatives: 2 }), quiet))
      .rejects.toThrow(`cannot resume from ${ckpt}: data.num_negatives is 2 now but was 1 in the checkpoint's run`);
    await expect(train(recipe(dir, { resume: 'latest', max_steps: 4, seed: 3 }), quiet)).rejects.toThrow('train.seed is 3 now but was 0');
    await expect(train(recipeWith(dir, { tokenize_workers: 1 }, { resume: 'latest', max_steps: 4 }, 'margin_mse'), quiet)).rejects.toThrow('loss.name is "margin_mse" now but was "mnrl"');
    const copy = path.join(dir, 'copy.jsonl');
    fs.copyFileSync(HARD_NEGATIVES, copy);
    await expect(train(recipe(dir, { resume: 'latest', max_steps: 4 }, { train: [copy] }), quiet))
      .rejects.toThrow(`data.train lists other files than the checkpoint's run: file 1 was ${HARD_NEGATIVES}, now ${copy}`);
    // What may change: the run's length, how often it saves, the tokenizer threads, what a bad record does.
    const r = await train(recipe(dir, { resume: 'latest', max_steps: 4, save_every: 1 }, { tokenize_workers: 2, on_bad_record: 'skip' }), quiet);
    expect(r.steps).toBe(4);
  });

  it('resumes with the checkpoint tokenizer when the base model.path is gone, and drops a torn last metrics line', async () => {
    const dir = tempDir();
    const base = path.join(dir, 'base');
    fs.cpSync(MODEL, base, { recursive: true });
    const withBase = (train: Record<string, unknown>) => {
      const r = recipe(dir, train);
      r.model.path = base;
      return r;
    };
    await train(withBase({}), quiet);
    fs.rmSync(base, { recursive: true });
    fs.appendFileSync(path.join(dir, 'out', 'metrics.jsonl'), '{"step": 3, "loss": 0.4'); // a crash mid-write
    const r = await train(withBase({ resume: 'latest', max_steps: 4 }), quiet);
    expect(r.steps).toBe(4);
    expect(steps(dir)).toEqual([1, 2, 3, 4]);
  });
});

describe('data without a usable record, counted in epochs', () => {
  it('says how many records were read and skipped and where the rejects are; trains nothing', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'all-bad.jsonl');
    fs.writeFileSync(file, 'not json\n{"query": "q"}\n');
    const r = recipe(dir, { max_steps: null, epochs: 2 }, { train: [file], on_bad_record: 'skip' });
    await expect(train(r, quiet)).rejects.toThrow(
      `data.train yields no batch in 2 epoch(s): 0 good records read, 4 skipped; the skipped records are in ${path.join(dir, 'out')}/rejected.jsonl; nothing was trained`);
    expect(fs.readFileSync(path.join(dir, 'out', 'rejected.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(fs.existsSync(path.join(dir, 'out', 'final'))).toBe(false);
  });

  it('the batch-counting pass reports progress through log', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    const total = await countTotalSteps(recipe(dir, { max_steps: null, epochs: 2 }), (l) => lines.push(l), 0);
    expect(total).toBe(12); // 24 records, batches of 4, 2 epochs
    expect(lines[0]).toMatch(/^counting the batches of 2 epoch\(s\)/);
    expect(lines.slice(1)).toHaveLength(12);
    expect(lines[12]).toBe('counting batches: 48 records read, 12 batches so far');
  });
});

describe('file-system errors while training', () => {
  const fsError = (code: string, file: string) => Object.assign(new Error(`${code}: simulated, open '${file}'`), { code, path: file });

  it('a full disk while writing metrics names metrics.jsonl, the cause and the last good checkpoint', async () => {
    const dir = tempDir();
    const metrics = path.join(dir, 'out', 'metrics.jsonl');
    const append = fs.appendFileSync;
    vi.spyOn(fs, 'appendFileSync').mockImplementation((file, data, o) => {
      if (file === metrics && fs.existsSync(path.join(dir, 'out', 'checkpoints', 'step-2'))) throw fsError('ENOSPC', metrics);
      return append(file, data, o);
    });
    await expect(train(recipe(dir, { max_steps: 4 }), quiet)).rejects.toThrow(
      `${metrics}: cannot write the metrics row: no space left on the device (ENOSPC). Last good checkpoint: ${path.join(dir, 'out', 'checkpoints', 'step-2')}; fix the cause and rerun with --train.resume latest`);
  });

  it('a read-only file system while saving a checkpoint, and no permission for final/, name the path and cause', async () => {
    const dir = tempDir();
    const other = tempDir();
    const mkdtemp = fs.mkdtempSync;
    const ckpts = path.join(dir, 'out', 'checkpoints');
    vi.spyOn(fs, 'mkdtempSync').mockImplementation((prefix, o) => {
      if (String(prefix).startsWith(path.join(ckpts, '.step-4'))) throw fsError('EROFS', ckpts);
      if (String(prefix).startsWith(path.join(other, 'out', '.final'))) throw fsError('EACCES', path.join(other, 'out'));
      return mkdtemp(prefix, o);
    });
    await expect(train(recipe(dir, { max_steps: 4 }), quiet)).rejects.toThrow(
      `${ckpts}: cannot write checkpoint step-4: read-only file system (EROFS). Last good checkpoint: ${path.join(ckpts, 'step-2')}`);
    await expect(train(recipe(other), quiet)).rejects.toThrow(`${path.join(other, 'out')}: cannot write the final model: permission denied (EACCES)`);
  });
});

describe('the lock and process.exit', () => {
  it('a process that exits with process.exit(130) (as the CLI does on SIGINT) leaves no lock behind', async () => {
    const dir = tempDir();
    const ROOT = new URL('../../', import.meta.url).pathname;
    const script = path.join(dir, 'lock-exit.mts');
    fs.writeFileSync(script, [
      `import fs from 'node:fs';`,
      `import { acquireRunLock } from '${ROOT}src/train/run-lock.ts';`,
      `acquireRunLock('${dir}');`,
      `if (!fs.existsSync('${path.join(dir, LOCK_FILE)}')) process.exit(3);`,
      `process.exit(130);`,
    ].join('\n'));
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(130);
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });
});
