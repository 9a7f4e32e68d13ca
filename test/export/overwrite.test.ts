// Export never deletes what it did not write: a non-empty folder that is not an earlier export of
// the same model is an error naming it and what it holds; with `overwrite` only the export's own
// entries are replaced; the model folder itself as output only gains onnx/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { exportOnnx } from '../../src/export/export.js';
import { EXPORT_MARKER } from '../../src/export/output-folder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
let tmp: string;
beforeAll(async () => {
  await initBackend('wasm');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-export-overwrite-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every file under `dir` with its content, to show what a command left alone. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = path.join(dir, f);
    out[f] = fs.statSync(p).isDirectory() ? '<dir>' : fs.readFileSync(p).toString('base64');
  }
  return out;
}

/** A training run's folder: checkpoints, metrics and a final model. */
function runFolder(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, 'checkpoints', 'step-5'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'checkpoints', 'step-5', 'trainer_state.json'), '{"step": 5}');
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '{"step": 1}\n');
  fs.cpSync(`${FIX}tiny-bert`, path.join(dir, 'final'), { recursive: true });
  return dir;
}

/** No staging or side folders left beside `dir`. */
function leftovers(dir: string): string[] {
  return fs.readdirSync(path.dirname(dir)).filter((n) => n.startsWith(`.${path.basename(dir)}.`));
}

describe('export --output', () => {
  it('a training run folder: an error naming the folder and what is in it; nothing changes', async () => {
    const run = runFolder('run');
    const before = snapshot(run);
    const err = await exportOnnx(`${FIX}tiny-bert`, run).then(() => null, (e: Error) => e.message);
    expect(err).toContain(`--output ${run}: the folder is not empty and is not an earlier export of ${FIX}tiny-bert`);
    expect(err).toContain('holds checkpoints/, final/, metrics.jsonl');
    expect(err).toContain('--overwrite');
    expect(snapshot(run)).toEqual(before);
    expect(leftovers(run)).toEqual([]);
  });

  it('a parent of model folders, with overwrite: the export lands beside them and they stay untouched', async () => {
    const parent = path.join(tmp, 'models');
    fs.cpSync(`${FIX}tiny-bert`, path.join(parent, 'model-a'), { recursive: true });
    fs.cpSync(`${FIX}tiny-xlmr`, path.join(parent, 'model-b'), { recursive: true });
    fs.writeFileSync(path.join(parent, 'notes.txt'), 'mine');
    const before = snapshot(parent);
    await expect(exportOnnx(`${FIX}tiny-bert`, parent)).rejects.toThrow(/holds model-a\/, model-b\/, notes\.txt/);
    expect(snapshot(parent)).toEqual(before);

    const r = await exportOnnx(`${FIX}tiny-bert`, parent, { overwrite: true });
    expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    const after = snapshot(parent);
    for (const [f, content] of Object.entries(before)) expect(after[f], f).toBe(content);
    expect(fs.existsSync(path.join(parent, 'onnx', 'model.onnx'))).toBe(true);
    expect(fs.existsSync(path.join(parent, 'modules.json'))).toBe(true);
    expect(leftovers(parent)).toEqual([]);
  });

  it('an earlier export of the same model is replaced without overwrite, keeping files the user added; another model needs overwrite', async () => {
    const out = path.join(tmp, 'exported');
    await exportOnnx(`${FIX}tiny-bert`, out);
    const marker = JSON.parse(fs.readFileSync(path.join(out, EXPORT_MARKER), 'utf8'));
    expect(marker.source).toBe(path.resolve(`${FIX}tiny-bert`));
    expect(marker.entries).toContain('onnx');
    fs.writeFileSync(path.join(out, 'NOTES.md'), 'my notes');
    fs.writeFileSync(path.join(out, 'onnx', 'model.onnx'), 'stale'); // replaced by the new export
    await exportOnnx(`${FIX}tiny-bert`, out);
    expect(fs.readFileSync(path.join(out, 'NOTES.md'), 'utf8')).toBe('my notes');
    expect(fs.statSync(path.join(out, 'onnx', 'model.onnx')).size).toBeGreaterThan(1000);

    await expect(exportOnnx(`${FIX}tiny-xlmr`, out)).rejects.toThrow(`is an export of another model (${path.resolve(`${FIX}tiny-bert`)})`);
    await exportOnnx(`${FIX}tiny-xlmr`, out, { overwrite: true });
    expect(JSON.parse(fs.readFileSync(path.join(out, EXPORT_MARKER), 'utf8')).source).toBe(path.resolve(`${FIX}tiny-xlmr`));
    expect(fs.readFileSync(path.join(out, 'NOTES.md'), 'utf8')).toBe('my notes');
    expect(leftovers(out)).toEqual([]);
  });

  it('an export re-exported in place keeps every file of the earlier export', async () => {
    const out = path.join(tmp, 'reexport');
    await exportOnnx(`${FIX}tiny-bert`, out);
    const before = snapshot(out);
    await exportOnnx(out, out);
    const after = snapshot(out);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    for (const f of ['model.safetensors', 'modules.json', '1_Pooling/config.json', 'sentence_bert_config.json']) expect(after[f], f).toBe(before[f]);
    expect(leftovers(out)).toEqual([]);
  });

  it('an empty folder is a fit target', async () => {
    const out = path.join(tmp, 'empty');
    fs.mkdirSync(out);
    await exportOnnx(`${FIX}tiny-bert`, out);
    expect(fs.existsSync(path.join(out, 'onnx', 'model.onnx'))).toBe(true);
  });

  it('the model folder itself: gains onnx/ and keeps its weights and files; a foreign onnx/ needs overwrite', async () => {
    const model = path.join(tmp, 'in-place');
    fs.cpSync(`${FIX}tiny-bert`, model, { recursive: true });
    fs.writeFileSync(path.join(model, 'extra.txt'), 'keep');
    const before = snapshot(model);
    await exportOnnx(model, model);
    const after = snapshot(model);
    for (const [f, content] of Object.entries(before)) {
      if (f === 'config.json' || f === 'tokenizer_config.json') continue; // transformers.js keys are merged in
      expect(after[f], f).toBe(content);
    }
    expect(JSON.parse(fs.readFileSync(path.join(model, 'config.json'), 'utf8'))).toMatchObject(JSON.parse(Buffer.from(before['config.json'], 'base64').toString()));
    expect(fs.existsSync(path.join(model, 'onnx', 'model.onnx'))).toBe(true);
    expect(Object.keys(after).filter((f) => !(f in before)).sort()).toEqual([EXPORT_MARKER, 'onnx', 'onnx/model.onnx']);
    await exportOnnx(model, model); // again: its own earlier export

    const other = path.join(tmp, 'in-place-foreign');
    fs.cpSync(`${FIX}tiny-bert`, other, { recursive: true });
    fs.mkdirSync(path.join(other, 'onnx'));
    fs.writeFileSync(path.join(other, 'onnx', 'model.onnx'), 'from elsewhere');
    await expect(exportOnnx(other, other)).rejects.toThrow(`--output ${other}: the model folder already has an onnx/ folder`);
    expect(fs.readFileSync(path.join(other, 'onnx', 'model.onnx'), 'utf8')).toBe('from elsewhere');
  });
});
