// How a failure reaches the user: a user error as one paragraph (exit 1), an internal error as a
// bug in densetrain naming the command, its stack only with --debug or DENSETRAIN_DEBUG=1, and
// Ctrl-C as one line (for train: the checkpoint to resume from) with exit 130. In-process through
// cli(), and in a child process started as the bin starts it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatError, isBug } from '../../src/errors.js';
import { interruptLine, setInterruptNote, trainInterruptNote } from '../../src/cli/interrupt.js';

const failure = vi.hoisted(() => ({ error: undefined as unknown }));
vi.mock('../../src/train/trainer.js', async (original) => ({
  ...(await original<typeof import('../../src/train/trainer.js')>()),
  train: async () => {
    throw failure.error;
  },
}));
const { cli } = await import('../../src/cli/main.js');

const ROOT = new URL('../../', import.meta.url).pathname;
const FIX = `${ROOT}test/fixtures/`;
let tmp: string;
let recipeFile: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-errors-'));
  const exp = JSON.parse(fs.readFileSync(`${FIX}tiny-bert.expected.json`, 'utf8'));
  const rows = exp.batch.query.map((q: string, i: number) => JSON.stringify({ query: q, positive: exp.batch.positive[i], negatives: [exp.batch.negative[i]] }));
  fs.writeFileSync(path.join(tmp, 'train.jsonl'), rows.join('\n') + '\n');
  recipeFile = path.join(tmp, 'r.yaml');
  fs.writeFileSync(recipeFile, [
    `model: {path: ${FIX}tiny-bert}`,
    `data: {train: [${path.join(tmp, 'train.jsonl')}], tokenize_workers: 1}`,
    'loss: {name: mnrl}',
    `train: {batch_size: 4, max_steps: 100000, save_every: 1, save_total_limit: 2, output_dir: ${path.join(tmp, 'run')}}`,
  ].join('\n'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('formatError', () => {
  const bug = new TypeError("Cannot read properties of undefined (reading 'length')");
  it('a user error is its message, one line', () => {
    expect(formatError(new Error('r.yaml: "train.lr" must be > 0 (got 0)'), { command: 'train', debug: false })).toBe('densetrain: r.yaml: "train.lr" must be > 0 (got 0)');
    let enoent: unknown;
    try {
      fs.readFileSync(path.join(tmp, 'none'));
    } catch (e) {
      enoent = e;
    }
    expect(isBug(enoent)).toBe(false);
    expect(formatError(enoent, { debug: false })).toBe(`densetrain: ENOENT: no such file or directory, open '${path.join(tmp, 'none')}'`);
  });

  it('a TypeError, ReferenceError or RangeError is a bug: one line, the command, the message, no stack', () => {
    for (const e of [bug, new ReferenceError('x is not defined'), new RangeError('Invalid array length')]) expect(isBug(e)).toBe(true);
    const line = formatError(bug, { command: 'train', debug: false });
    expect(line).toBe(
      "densetrain: internal error, a bug in densetrain (please report it): `densetrain train` failed with TypeError: Cannot read properties of undefined (reading 'length') (run again with --debug or DENSETRAIN_DEBUG=1 for the stack trace)",
    );
    expect(line.split('\n')).toHaveLength(1);
  });

  it('--debug adds the stack trace', () => {
    const text = formatError(bug, { command: 'eval', debug: true });
    expect(text.split('\n')[0]).toContain('`densetrain eval` failed with TypeError');
    expect(text).toContain(bug.stack!);
  });
});

describe('cli(): what the bin prints', () => {
  async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; err: string[] }> {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const code = await cli(args, env);
      return { code, err: err.mock.calls.map((c) => String(c[0])) };
    } finally {
      err.mockRestore();
      log.mockRestore();
    }
  }
  const trainArgs = ['train', '--recipe', '', '--backend', 'cpu'];

  it('a user error: exit 1, one line', async () => {
    const r = await runCli(['embed', '--model', 'm', '--input', 'i', '--output', 'o', '--batch-size', '0']);
    expect(r).toEqual({ code: 1, err: ['densetrain: --batch-size must be an integer >= 1 (got 0)'] });
  });

  it('an internal error: reported as a bug in the command; the stack with --debug or DENSETRAIN_DEBUG=1', async () => {
    failure.error = new TypeError("Cannot read properties of undefined (reading 'length')");
    trainArgs[2] = recipeFile;
    const plain = await runCli(trainArgs);
    expect(plain.code).toBe(1);
    expect(plain.err).toHaveLength(1);
    expect(plain.err[0]).toMatch(/^densetrain: internal error, a bug in densetrain .*`densetrain train` failed with TypeError: Cannot read properties of undefined \(reading 'length'\) \(run again with --debug/);
    expect(plain.err[0]).not.toContain('\n');
    for (const [args, env] of [[[...trainArgs, '--debug'], {}], [trainArgs, { DENSETRAIN_DEBUG: '1' }]] as const) {
      const debug = await runCli([...args], env);
      expect(debug.code).toBe(1);
      expect(debug.err[0]).toContain('\n    at ');
    }
    failure.error = new Error(`train.output_dir ${tmp} holds another run`);
    expect(await runCli(trainArgs)).toEqual({ code: 1, err: [`densetrain: train.output_dir ${tmp} holds another run`] });
  });
});

describe('Ctrl-C', () => {
  it('the interrupt line of train names the last complete checkpoint, or says there is none', () => {
    const out = path.join(tmp, 'ckpt-run');
    setInterruptNote(() => trainInterruptNote(out));
    expect(interruptLine('train')).toBe(`densetrain train: interrupted; no checkpoint was written yet in ${out}, so a new run starts from the beginning`);
    for (const step of [2, 10]) {
      fs.mkdirSync(path.join(out, 'checkpoints', `step-${step}`), { recursive: true });
      fs.writeFileSync(path.join(out, 'checkpoints', `step-${step}`, 'trainer_state.json'), '{}');
    }
    fs.mkdirSync(path.join(out, 'checkpoints', 'step-11')); // half written: no trainer_state.json
    expect(interruptLine('train')).toBe(
      `densetrain train: interrupted; the last checkpoint is ${path.join(out, 'checkpoints', 'step-10')} (step 10); run the same command with --train.resume latest to continue from it`,
    );
    setInterruptNote(undefined);
    expect(interruptLine('embed')).toBe('densetrain embed: interrupted');
  });

  it('a training run stopped with SIGINT prints where to resume from and exits 130', async () => {
    const entry = path.join(tmp, 'bin.mts'); // what bin/densetrain.js does, on the sources
    fs.writeFileSync(entry, `import { cli } from '${ROOT}src/cli/main.ts';\ncli(process.argv.slice(2)).then((code) => process.exit(code));\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', entry, 'train', '--recipe', recipeFile, '--backend', 'wasm'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const ckpt = path.join(tmp, 'run', 'checkpoints', 'step-2', 'trainer_state.json');
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (fs.existsSync(ckpt)) {
          clearInterval(timer);
          child.kill('SIGINT');
          resolve();
        }
      }, 20);
      void exited.then(() => {
        clearInterval(timer);
        reject(new Error(`the run ended before it was interrupted: ${stderr}`));
      });
    });
    expect(await exited).toBe(130);
    const lines = stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      new RegExp(`^densetrain train: interrupted; the last checkpoint is ${path.join(tmp, 'run', 'checkpoints')}/step-(\\d+) \\(step \\1\\); run the same command with --train.resume latest to continue from it$`),
    );
    const step = Number(/step-(\d+)/.exec(lines.at(-1)!)![1]);
    expect(step).toBeGreaterThanOrEqual(2);
    expect(fs.existsSync(path.join(tmp, 'run', 'checkpoints', `step-${step}`, 'trainer_state.json'))).toBe(true);
  }, 120_000);
});
