// ModernBERT through the CLI, in-process: `embed --engine onnx` equals sentence-transformers, and
// `train` (auto engine: onnxruntime) writes a final/ folder with ModernBERT's tensor names and
// config that loads again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadOnnxModel } from '../../src/graphs/onnx-encoder.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SRC = new URL('../fixtures/tiny-modernbert', import.meta.url).pathname;
const exp = JSON.parse(fs.readFileSync(`${SRC}.expected.json`, 'utf8'));
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-cli-modernbert-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function quietly(args: string[]): Promise<number> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    return await main(args);
  } finally {
    log.mockRestore();
  }
}

it('embed --engine onnx on a ModernBERT folder matches sentence-transformers within 1e-5', async () => {
  const input = path.join(tmp, 'texts.jsonl'), output = path.join(tmp, 'out.jsonl');
  fs.writeFileSync(input, exp.texts.map((text: string) => JSON.stringify({ text })).join('\n') + '\n');
  expect(await quietly(['embed', '--model', SRC, '--input', input, '--output', output, '--engine', 'onnx'])).toBe(0);
  const rows = fs.readFileSync(output, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).embedding);
  expect(maxAbsDiff(rows, exp.embeddings)).toBeLessThan(1e-5);
});

it('train: two steps on onnxruntime; final/ keeps ModernBERT names, shapes and config, with changed weights that load again', async () => {
  const out = path.join(tmp, 'run');
  expect(await quietly(['train', '--recipe', path.join(ROOT, 'recipes', 'demo-contrastive.yaml'), '--backend', 'wasm', '--data.train', path.join(ROOT, 'data/demo/train.jsonl'),
    '--model.path', SRC, '--model.max_seq_length', '64', '--train.max_steps', '2', '--train.batch_size', '8', '--train.output_dir', out])).toBe(0);
  const final = path.join(out, 'final');
  const before = readSafetensors(path.join(SRC, 'model.safetensors')), after = readSafetensors(path.join(final, 'model.safetensors'));
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [name, t] of before) expect(after.get(name)!.shape, name).toEqual(t.shape);
  expect(maxAbsDiff([after.get('layers.1.attn.Wqkv.weight')!.data], [before.get('layers.1.attn.Wqkv.weight')!.data])).toBeGreaterThan(1e-4);
  expect(JSON.parse(fs.readFileSync(path.join(final, 'config.json'), 'utf8'))).toEqual(JSON.parse(fs.readFileSync(path.join(SRC, 'config.json'), 'utf8')));
  const m = await loadOnnxModel(final);
  const got = await m.encode(exp.texts.slice(0, 4));
  await m.release();
  expect(got.every((row) => row.every(Number.isFinite))).toBe(true);
  expect(maxAbsDiff(got, exp.embeddings.slice(0, 4))).toBeGreaterThan(1e-4);
});
