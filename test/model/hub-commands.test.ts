// Hub ids through the commands (main, in-process) against the local Hub stand-in: embed, train
// (model.path), check-data and export take `ORG/NAME` as they take a folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';
import { type HubServer, readTree, startHubServer } from '../helpers/hub-server.js';

const FIX = path.resolve('test/fixtures');
const MAIN = 'c0ffee'.padEnd(40, '0');
let server: HubServer;
let tmp: string;
const saved = { ...process.env };

beforeAll(async () => {
  server = await startHubServer({ 'org/tiny-bert': { refs: { main: MAIN }, commits: { [MAIN]: readTree(path.join(FIX, 'tiny-bert')) } } });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-hub-cli-'));
  for (const k of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_HUB_OFFLINE']) delete process.env[k];
  process.env.HF_HOME = path.join(tmp, 'hf');
  process.env.HF_ENDPOINT = server.url;
});
afterAll(async () => {
  process.env = { ...saved };
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** main with console.log captured: exit code and the printed lines. */
async function run(args: string[]): Promise<{ code: number; log: string[] }> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    return { code: await main(args), log: spy.mock.calls.map((c) => String(c[0])) };
  } finally {
    spy.mockRestore();
  }
}

describe('Hub ids in the commands', () => {
  it('embed --model ORG/NAME downloads once and embeds as sentence-transformers does (1e-5)', async () => {
    const { texts, embeddings } = JSON.parse(fs.readFileSync(path.join(FIX, 'tiny-bert.expected.json'), 'utf8'));
    const input = path.join(tmp, 'texts.jsonl');
    const output = path.join(tmp, 'out.jsonl');
    fs.writeFileSync(input, texts.map((t: string) => JSON.stringify({ text: t })).join('\n') + '\n');
    const { code, log } = await run(['embed', '--model', 'org/tiny-bert', '--input', input, '--output', output, '--backend', 'wasm']);
    expect(code).toBe(0);
    expect(log.at(-1)).toBe(`embedded 16 texts -> ${output}`);
    const rows = fs.readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l).embedding);
    expect(maxAbsDiff(rows, embeddings)).toBeLessThan(1e-5);
    expect(fs.existsSync(path.join(tmp, 'hf', 'hub', 'models--org--tiny-bert', 'snapshots', MAIN, 'model.safetensors'))).toBe(true);
    // the second run reads the cache: no file is fetched again
    server.requests.length = 0;
    expect((await run(['embed', '--model', 'org/tiny-bert', '--input', input, '--output', output, '--backend', 'wasm'])).code).toBe(0);
    expect(server.requests.filter((r) => r.url.includes('/resolve/'))).toEqual([]);
  });

  it('train with model.path ORG/NAME trains from the download and names the id as the base model; check-data takes it too', async () => {
    const out = path.join(tmp, 'run');
    const common = ['--recipe', path.resolve('recipes/demo-contrastive.yaml'), '--model.path', 'org/tiny-bert', '--data.train', path.join(FIX, 'data', 'hard-negatives.jsonl'), '--data.preset', 'hard_negatives'];
    const trained = await run(['train', ...common, '--backend', 'wasm', '--train.max_steps', '1', '--train.batch_size', '4', '--train.output_dir', out]);
    expect(trained.code).toBe(0);
    expect(fs.existsSync(path.join(out, 'final', 'model.safetensors'))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'final', 'README.md'), 'utf8')).toMatch(/^base_model: org\/tiny-bert$/m);
    const checked = await run(['check-data', ...common, '--train.batch_size', '4']);
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.log.at(-1)!)).toMatchObject({ records: 24, skipped: 0 });
  });

  it('export --model ORG/NAME writes a folder of plain files, no links into the cache', async () => {
    const out = path.join(tmp, 'exported');
    const { code } = await run(['export', '--model', 'org/tiny-bert', '--output', out, '--backend', 'wasm']);
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(out, 'onnx', 'model.onnx'))).toBe(true);
    for (const f of ['config.json', 'tokenizer.json', 'modules.json', '1_Pooling/config.json']) expect(fs.lstatSync(path.join(out, f)).isFile(), f).toBe(true);
  });

  it('an unknown id is the one-line error of the command', async () => {
    await expect(main(['embed', '--model', 'org/nope', '--input', path.join(tmp, 'x.jsonl'), '--output', path.join(tmp, 'y.jsonl')])).rejects.toThrow(/^org\/nope: no such local folder, and http:\/\/127\.0\.0\.1:\d+ refused access \(401\)/);
  });
});
