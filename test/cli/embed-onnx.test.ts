// `densetrain embed --engine onnx` on a model folder that was never exported: the graph is built
// in memory from its weights, and the embeddings equal sentence-transformers'.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-embed-onnx-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('embed --engine onnx needs no onnx/model.onnx and matches sentence-transformers within 1e-5', async () => {
  const { texts, embeddings } = JSON.parse(fs.readFileSync(`${FIX}tiny-xlmr.expected.json`, 'utf8'));
  expect(fs.existsSync(`${FIX}tiny-xlmr/onnx`)).toBe(false);
  const input = path.join(tmp, 'texts.jsonl');
  fs.writeFileSync(input, texts.map((text: string) => JSON.stringify({ text })).join('\n') + '\n');
  const output = path.join(tmp, 'out.jsonl');
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    expect(await main(['embed', '--model', `${FIX}tiny-xlmr`, '--input', input, '--output', output, '--engine', 'onnx'])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  const rows = fs.readFileSync(output, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).embedding);
  expect(maxAbsDiff(rows, embeddings)).toBeLessThan(1e-5);
});
