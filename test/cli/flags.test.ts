// Every flag on the command line is used or rejected with a reason: unknown flags and recipe keys
// (with a did-you-mean), override values read as data by their key's kind, batch sizes checked
// before any work, the overwrite flags passed through, and every option documented in --help.
// train and export are replaced by spies: what matters here is what the CLI hands them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ train: [] as unknown[][], export: [] as unknown[][] }));
vi.mock('../../src/train/trainer.js', () => ({
  train: async (...args: unknown[]) => {
    calls.train.push(args);
    return { steps: 0, finalDir: 'final' };
  },
}));
vi.mock('../../src/export/export.js', () => ({
  exportOnnx: async (...args: unknown[]) => {
    calls.export.push(args);
    return { onnxPath: 'model.onnx', maxAbsDiff: 0 };
  },
}));

const { main } = await import('../../src/cli/main.js');
const { recipeKeys } = await import('../../src/train/recipe.js');
type Recipe = import('../../src/train/recipe.js').Recipe;

const FIX = new URL('../fixtures/', import.meta.url).pathname;
let tmp: string;
let recipeFile: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-flags-'));
  const data = path.join(tmp, 'exp #2');
  fs.mkdirSync(data);
  const rows = ['a', 'b', 'c', 'd'].map((q) => JSON.stringify({ query: `what is ${q}`, positive: `${q} is a letter`, negatives: [`${q} is not`] }));
  fs.writeFileSync(path.join(data, 'train.jsonl'), rows.join('\n') + '\n');
  recipeFile = path.join(tmp, 'r.yaml');
  fs.writeFileSync(recipeFile, [
    `model: {path: ${FIX}tiny-bert}`,
    `data: {train: [${path.join(tmp, 'missing.jsonl')}], shuffle: false, tokenize_workers: 1}`,
    'loss: {name: mnrl}',
    `train: {batch_size: 2, max_steps: 1, output_dir: ${path.join(tmp, 'run')}}`,
  ].join('\n'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeEach(() => {
  calls.train.length = 0;
  calls.export.length = 0;
});

/** Run the CLI with console.log captured. */
async function run(args: string[]): Promise<string[]> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await main(args);
    return spy.mock.calls.map((c) => String(c[0]));
  } finally {
    spy.mockRestore();
  }
}

const trainArgs = (...extra: string[]) => ['train', '--recipe', recipeFile, '--backend', 'cpu', ...extra];
const trained = () => calls.train[0] as [Recipe, Record<string, unknown>];

describe('train and check-data: every flag is an option or a recipe key', () => {
  it.each([
    [['--train.max-steps', '2'], 'unknown key "train.max-steps"', 'did you mean --train.max_steps?'],
    [['--max_steps', '2'], 'unknown flag --max_steps', 'did you mean --train.max_steps?'],
    [['--data.num_negatives2', '3'], 'unknown key "data.num_negatives2"', 'did you mean --data.num_negatives?'],
    [['--train', '5'], '"train" is a section, not a value', 'e.g. --train.batch_size VALUE'],
    [['--recipee', 'x.yaml'], 'unknown flag --recipee', 'did you mean --recipe?'],
    [['--overwrite-output-dir'], 'unknown flag --overwrite-output-dir', 'did you mean --overwrite_output_dir?'],
    [['-x'], 'unknown flag -x (see densetrain train --help)', ''],
    [['stray'], 'unexpected argument "stray"', ''],
    [['--train.lr'], '--train.lr needs a value', ''],
  ])('train %j is an error', async (extra, message, hint) => {
    await expect(run(trainArgs(...extra))).rejects.toThrow(message);
    if (hint) await expect(run(trainArgs(...extra))).rejects.toThrow(hint);
    expect(calls.train).toEqual([]);
  });

  it('check-data rejects the same way', async () => {
    await expect(run(['check-data', '--recipe', recipeFile, '--train.max-steps', '2'])).rejects.toThrow('did you mean --train.max_steps?');
    await expect(run(['check-data', '--recipe', recipeFile, '--backend', 'cpu'])).rejects.toThrow('unknown flag --backend');
  });

  it('override values are data: a # and a number-like folder name are kept as typed', async () => {
    await run(trainArgs('--train.output_dir', 'runs/exp #2', '--model.path=2024', '--train.lr', '3e-5', '--data.shuffle', 'true'));
    const [recipe] = trained();
    expect(recipe.train.output_dir).toBe('runs/exp #2');
    expect(recipe.model.path).toBe('2024');
    expect(recipe.train.lr).toBe(3e-5);
    expect(recipe.data.shuffle).toBe(true);
  });

  it('check-data reads a data path with a # in it', async () => {
    const log = await run(['check-data', '--recipe', recipeFile, '--data.train', path.join(tmp, 'exp #2', 'train.jsonl')]);
    expect(JSON.parse(log.at(-1)!)).toMatchObject({ records: 4, skipped: 0, batches: 2 });
  });

  it('range checks reach the user from the command line', async () => {
    await expect(run(trainArgs('--train.lr', '0'))).rejects.toThrow('--train.lr (command line): "train.lr" must be > 0 (got 0)');
    await expect(run(trainArgs('--train.batch_size', '0'))).rejects.toThrow('"train.batch_size" must be at least 1 (got 0)');
  });

  it('--overwrite_output_dir reaches train(); without it the option is not set', async () => {
    await run(trainArgs('--overwrite_output_dir'));
    expect(trained()[1]).toEqual({ overwriteOutputDir: true });
    calls.train.length = 0;
    await run(trainArgs());
    expect(trained()[1].overwriteOutputDir).toBeUndefined();
    calls.train.length = 0;
    await run(trainArgs('--overwrite_output_dir', 'false', '--train.seed', '3'));
    expect(trained()[1].overwriteOutputDir).toBeUndefined();
    expect(trained()[0].train.seed).toBe(3);
  });
});

describe('embed, eval, export, demo: unknown flags and bad numbers are errors', () => {
  const model = `${FIX}tiny-bert`;
  it.each([
    [['embed', '--model', model, '--input', 'i.txt', '--output', 'o.jsonl', '--batch_size', '3'], 'unknown flag --batch_size; did you mean --batch-size? (see densetrain embed --help)'],
    [['eval', '--model', model, '--data', 'd', '--spilt', 'dev'], 'unknown flag --spilt; did you mean --split? (see densetrain eval --help)'],
    [['export', '--model', model, '--output', 'o', '--overwite'], 'unknown flag --overwite; did you mean --overwrite? (see densetrain export --help)'],
    [['demo', '--ouput', 'x'], 'unknown flag --ouput; did you mean --output? (see densetrain demo --help)'],
    [['embed', '--model', model, '--input', 'i.txt', '--output', 'o.jsonl', 'extra'], 'unexpected argument "extra" (see densetrain embed --help)'],
    [['embedd', '--model', model], 'unknown command "embedd"; did you mean embed? (commands: embed, train, check-data, export, eval, score, mine, demo)'],
  ])('%j', async (args, message) => {
    await expect(run(args)).rejects.toThrow(message);
  });

  it.each([
    ['embed', ['--input', 'i.txt', '--output', 'o.jsonl']],
    ['eval', ['--data', 'd']],
  ])('%s --batch-size 0, abc, 1.5 or twice is an error naming the flag (0 used to hang)', async (command, rest) => {
    const args = (...bs: string[]) => [command, '--model', model, ...rest, ...bs];
    await expect(run(args('--batch-size', '0'))).rejects.toThrow('--batch-size must be an integer >= 1 (got 0)');
    await expect(run(args('--batch-size', 'abc'))).rejects.toThrow('--batch-size must be an integer >= 1 (got abc)');
    await expect(run(args('--batch-size', '1.5'))).rejects.toThrow('--batch-size must be an integer >= 1 (got 1.5)');
    await expect(run(args('--batch-size', '2', '--batch-size', '3'))).rejects.toThrow('--batch-size is given more than once (2, 3)');
    await expect(run(args('--batch-size'))).rejects.toThrow('Not enough arguments following: batch-size');
  });

  it('the library entries refuse a batch size below 1 too (the loop would never advance)', async () => {
    const { embedFile } = await import('../../src/cli/embed.js');
    const { evalCommand } = await import('../../src/cli/eval.js');
    await expect(embedFile({ model, input: 'i', output: 'o', batchSize: 0 })).rejects.toThrow('embed: batch size must be an integer >= 1 (got 0)');
    await expect(evalCommand({ model, data: 'd', split: 'test', batchSize: 0 })).rejects.toThrow('eval: batch size must be an integer >= 1 (got 0)');
  });

  it('export passes --overwrite to exportOnnx, and only when given', async () => {
    await run(['export', '--model', model, '--output', path.join(tmp, 'exp'), '--backend', 'cpu', '--overwrite']);
    expect(calls.export[0]).toEqual([model, path.join(tmp, 'exp'), { opset: 17, quantize: undefined, overwrite: true }]);
    await run(['export', '--model', model, '--output', path.join(tmp, 'exp'), '--backend', 'cpu', '--opset', '18']);
    expect(calls.export[1]).toEqual([model, path.join(tmp, 'exp'), { opset: 18, quantize: undefined, overwrite: undefined }]);
    await expect(run(['export', '--model', model, '--output', 'o', '--opset', 'x'])).rejects.toThrow('--opset must be an integer >= 1 (got x)');
  });
});

describe('--help documents every option', () => {
  for (const command of ['embed', 'train', 'check-data', 'export', 'eval', 'demo']) {
    it(command, async () => {
      const help = (await run([command, '--help'])).join('\n');
      const options = help.split('\n').filter((l) => /^\s+--/.test(l));
      expect(options.length).toBeGreaterThan(2);
      for (const line of options) expect(line, line).toMatch(/^\s+--[\w-]+(?:, -\w)?\s{2,}[^\s[]/); // a description after the flag
      expect(help).toContain('--debug');
      if (command === 'train' || command === 'check-data') for (const key of recipeKeys()) expect(help).toContain(key);
    });
  }
  it('eval --batch-size and export --overwrite are among them', async () => {
    expect((await run(['eval', '--help'])).join('\n')).toMatch(/--batch-size\s+texts per forward pass/);
    expect((await run(['export', '--help'])).join('\n')).toMatch(/--overwrite\s+write into a non-empty folder/);
    expect((await run(['train', '--help'])).join('\n')).toMatch(/--overwrite_output_dir\s+train into/);
  });
});
