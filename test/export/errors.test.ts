// Bad exports fail with a message that names the problem and leave nothing behind that looks like
// an export: not a model folder, an unsupported architecture, an unwritable output path, a bad opset.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { loadExportedOnnx } from '../../src/graphs/onnx-encoder.js';
import { exportOnnx } from '../../src/export/export.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
let tmp: string;
beforeAll(async () => {
  await initBackend('wasm');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-export-errors-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Everything in `dir` (recursively), to show that a failed export changed nothing. */
function listing(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

describe('exportOnnx errors', () => {
  it('a folder that is not a model: names the missing config.json, creates nothing', async () => {
    const notModel = path.join(tmp, 'not-a-model');
    fs.mkdirSync(notModel);
    fs.writeFileSync(path.join(notModel, 'notes.txt'), 'hello');
    const out = path.join(tmp, 'out-not-model');
    await expect(exportOnnx(notModel, out)).rejects.toThrow(`${notModel}/config.json: missing`);
    await expect(exportOnnx(path.join(tmp, 'nowhere'), out)).rejects.toThrow('not a folder');
    expect(fs.existsSync(out)).toBe(false);
    expect(listing(tmp)).toEqual(['not-a-model', 'not-a-model/notes.txt']);
  });

  it('an unsupported architecture: names model_type and what is supported', async () => {
    const src = path.join(tmp, 'gpt2');
    fs.cpSync(`${FIX}tiny-bert`, src, { recursive: true });
    const cfg = JSON.parse(fs.readFileSync(path.join(src, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(src, 'config.json'), JSON.stringify({ ...cfg, model_type: 'gpt2' }));
    const out = path.join(tmp, 'out-gpt2');
    await expect(exportOnnx(src, out)).rejects.toThrow(/config\.json: model_type "gpt2" is not supported \(densetrain reads "bert", "xlm-roberta", "roberta", "distilbert", "mpnet", "modernbert"\)/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('an output path under a regular file: says it cannot write there', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    const out = path.join(file, 'model');
    await expect(exportOnnx(`${FIX}tiny-bert`, out)).rejects.toThrow(`${out}: cannot write the output folder here (EEXIST: file already exists, mkdir '${file}')`);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  it('an unsupported opset: lists the supported ones, and an existing output stays as it was', async () => {
    const out = path.join(tmp, 'existing');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'keep.txt'), 'keep');
    await expect(exportOnnx(`${FIX}tiny-bert`, out, { opset: 13 })).rejects.toThrow('--opset 13 is not supported (choose one of 17, 18, 19, 20, 21, 22, 23)');
    expect(listing(out)).toEqual(['keep.txt']);
  });
});

describe('exported onnx/model.onnx errors', () => {
  it('a folder without onnx/model.onnx says how to make one', async () => {
    await expect(loadExportedOnnx(`${FIX}tiny-bert`)).rejects.toThrow(`${FIX}tiny-bert/onnx/model.onnx: missing (make it with densetrain export --model ${FIX}tiny-bert --output OUT)`);
  });

  it('an unknown prompt name lists the prompts the folder has', async () => {
    const out = path.join(tmp, 'prompts');
    await exportOnnx(`${FIX}tiny-bert`, out);
    const m = await loadExportedOnnx(out);
    await expect(m.encode(['x'], { promptName: 'passage' })).rejects.toThrow(`prompt "passage" is not defined in ${out}/config_sentence_transformers.json (has: document, query)`);
    await m.release();
  });

  it('a corrupt onnx/model.onnx: names the file and what onnxruntime said', async () => {
    const out = path.join(tmp, 'corrupt');
    await exportOnnx(`${FIX}tiny-bert`, out);
    fs.writeFileSync(path.join(out, 'onnx', 'model.onnx'), 'not protobuf');
    await expect(loadExportedOnnx(out)).rejects.toThrow(`${out}/onnx/model.onnx: onnxruntime cannot load it`);
  });
});
