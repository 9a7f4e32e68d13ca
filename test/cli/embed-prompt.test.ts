// `densetrain embed --prompt TEXT` (sentence-transformers' encode(prompt=...)): the output equals
// embedding the prompt-prefixed texts; --prompt with --prompt-name is an error; without either,
// the folder's default_prompt_name applies.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/tiny-bert', import.meta.url).pathname;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'embed-prompt-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const TEXTS = ['What is the capital of France?', 'Berlin is in Germany.', ''];

/** The embeddings `embed` writes for `texts` with extra flags. */
async function embed(texts: string[], extra: string[], model = FIX): Promise<number[][]> {
  const input = path.join(tmp, `in-${Math.random().toString(36).slice(2)}.jsonl`);
  fs.writeFileSync(input, texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');
  const output = `${input}.out`;
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    expect(await main(['embed', '--model', model, '--input', input, '--output', output, '--backend', 'wasm', ...extra])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return fs.readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l).embedding);
}

describe('embed --prompt', () => {
  for (const engine of ['auto', 'onnx']) {
    it(`${engine}: equals embedding the prefixed texts, and differs from no prompt`, async () => {
      const withPrompt = await embed(TEXTS, ['--engine', engine, '--prompt', 'query: ']);
      expect(maxAbsDiff(withPrompt, await embed(TEXTS.map((t) => 'query: ' + t), ['--engine', engine]))).toBe(0);
      expect(maxAbsDiff(withPrompt, await embed(TEXTS, ['--engine', engine]))).toBeGreaterThan(1e-3);
    });
  }

  it('with --prompt-name is an error', async () => {
    await expect(embed(TEXTS, ['--prompt', 'q: ', '--prompt-name', 'query'])).rejects.toThrow('embed: --prompt and --prompt-name "query" both given; use one');
  });

  it("without either, the folder's default_prompt_name; --prompt '' turns it off", async () => {
    const dir = path.join(tmp, 'default');
    fs.cpSync(FIX, dir, { recursive: true });
    fs.writeFileSync(`${dir}/config_sentence_transformers.json`, JSON.stringify({ prompts: { query: '', document: '', doc: 'passage: ' }, default_prompt_name: 'doc' }));
    expect(maxAbsDiff(await embed(TEXTS, [], dir), await embed(TEXTS, ['--prompt', 'passage: ']))).toBe(0);
    expect(maxAbsDiff(await embed(TEXTS, ['--prompt', ''], dir), await embed(TEXTS, []))).toBe(0);
  });
});
