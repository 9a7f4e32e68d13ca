// `densetrain embed` through the CLI entry (main, in-process): JSONL and plain-text input, JSONL
// output in input order, checked against the sentence-transformers fixture embeddings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readTexts } from '../../src/cli/embed.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const exp = (name: string) => JSON.parse(fs.readFileSync(`${FIX}${name}.expected.json`, 'utf8'));
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-embed-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Run the CLI with console.log captured; returns its exit code and what it printed. */
async function run(args: string[]): Promise<{ code: number; log: string[] }> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const code = await main(args);
    return { code, log: spy.mock.calls.map((c) => String(c[0])) };
  } finally {
    spy.mockRestore();
  }
}

/** Embed through the CLI and return what it printed and the output rows. */
async function embed(model: string, input: string, extra: string[] = []): Promise<{ log: string[]; rows: number[][] }> {
  const output = path.join(tmp, `out-${path.basename(input)}.jsonl`);
  const { code, log } = await run(['embed', '--model', model, '--input', input, '--output', output, ...extra]);
  expect(code).toBe(0);
  const lines = fs.readFileSync(output, 'utf8').split('\n');
  expect(lines.pop()).toBe(''); // newline-terminated
  expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]); // written via a temporary name
  return { log, rows: lines.map((l) => JSON.parse(l).embedding) };
}

describe('densetrain embed', () => {
  for (const [name, backend] of [['tiny-bert', 'wasm'], ['tiny-xlmr', 'cpu']]) {
    it(`${name}, JSONL in -> JSONL out in order, equal to sentence-transformers (1e-5) on onnx, with or without the deprecated --engine onnx`, async () => {
      const { texts, embeddings } = exp(name);
      const input = path.join(tmp, `${name}.jsonl`);
      fs.writeFileSync(input, texts.map((t: string, i: number) => JSON.stringify({ id: i, text: t })).join('\n') + '\n');
      for (const engine of [[], ['--engine', 'onnx']]) {
        const { log, rows } = await embed(`${FIX}${name}`, input, ['--backend', backend, '--batch-size', '3', ...engine]);
        // onnx even with a tfjs backend named.
        expect(log[0]).toMatch(/^densetrain: onnxruntime-node on CPU$/);
        expect(log.at(-1)).toContain('embedded 16 texts');
        expect(rows).toHaveLength(16);
        expect(maxAbsDiff(rows, embeddings)).toBeLessThan(1e-5);
      }
    });
  }

  it('plain text, one text per line (CRLF, an empty line, no final newline) gives one row per line', async () => {
    const { texts, embeddings } = exp('tiny-bert');
    const input = path.join(tmp, 'texts.txt');
    fs.writeFileSync(input, texts.join('\r\n')); // text 12 is the empty string: an empty line
    const { rows } = await embed(`${FIX}tiny-bert`, input, ['--backend', 'wasm']);
    expect(rows).toHaveLength(16);
    expect(maxAbsDiff(rows, embeddings)).toBeLessThan(1e-5);
  });

  it('reads gzipped JSONL', () => {
    const input = path.join(tmp, 'in.jsonl.gz');
    fs.writeFileSync(input, zlib.gzipSync('{"text": "a"}\n{"text": ""}\n'));
    expect(readTexts(input)).toEqual(['a', '']);
  });

  it('a bad JSONL line names the file, the line and the field', async () => {
    const input = path.join(tmp, 'bad.jsonl');
    fs.writeFileSync(input, '{"text": "fine"}\n{"txt": "typo"}\n');
    await expect(run(['embed', '--model', `${FIX}tiny-bert`, '--input', input, '--output', path.join(tmp, 'bad-out.jsonl'), '--backend', 'wasm']))
      .rejects.toThrow(`${input}:2: field "text" is missing or not a string`);
    fs.writeFileSync(input, '{"text": "fine"}\n{"text": \n');
    expect(() => readTexts(input)).toThrow(`${input}:2: not a JSON object`);
    expect(fs.existsSync(path.join(tmp, 'bad-out.jsonl'))).toBe(false);
  });

  it('an unknown --prompt-name is an error naming the prompts the folder has', async () => {
    const input = path.join(tmp, 'one.txt');
    fs.writeFileSync(input, 'hello\n');
    await expect(run(['embed', '--model', `${FIX}tiny-bert`, '--input', input, '--output', path.join(tmp, 'p.jsonl'), '--backend', 'wasm', '--prompt-name', 'passage']))
      .rejects.toThrow(/prompt "passage" is not defined in .*config_sentence_transformers.json \(has: document, query\)/);
  });
});
