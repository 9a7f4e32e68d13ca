// The library as people call it: no initBackend needed, a recipe as an object, the progress
// through the `log` option, the onnxruntime encoder exported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as api from '../../src/index.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-library-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the library API', () => {
  // first in this file (its own worker): nothing has initialised TensorFlow.js yet
  it('loadModel initialises the backend itself', async () => {
    const model = await api.loadModel(path.join(ROOT, 'models/default'));
    const [e] = await model.encode(['how do I cancel my order?']);
    expect(e).toBeInstanceOf(Float32Array);
    expect(Math.hypot(...e)).toBeCloseTo(1, 5); // the default model normalises
    model.dispose();
  });

  it('train takes a recipe object, leaves it as it was, and sends progress and evaluation lines to log only', async () => {
    const recipe: api.RecipeInput = {
      model: { path: path.join(ROOT, 'models/default') },
      data: { train: [path.join(ROOT, 'data/demo/train.jsonl')], preset: 'hard_negatives' },
      loss: { name: 'mnrl' },
      train: { output_dir: path.join(tmp, 'run'), batch_size: 8, max_steps: 2, lr: 1e-3 },
      eval: { data: path.join(ROOT, 'data/demo/eval'), every: 2 },
    };
    const before = structuredClone(recipe);
    const lines: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write');
    const stdout = vi.spyOn(console, 'log');
    try {
      const r = await api.train(recipe, { log: (l) => lines.push(l) });
      expect(r.steps).toBe(2);
      expect(stderr).not.toHaveBeenCalled();
      expect(stdout).not.toHaveBeenCalled();
      expect(recipe).toEqual(before);
      expect(lines[0]).toMatch(/^densetrain: engine /);
      expect(lines).toContain(`eval at step 0: ${Object.entries(r.evals[0]).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`);
      expect(lines.some((l) => l.startsWith('eval at step 2: ndcg@10 '))).toBe(true);
      // the step-0 evaluation is kept for the report, which shows it as the baseline
      const baseline = JSON.parse(fs.readFileSync(path.join(tmp, 'run', 'eval_baseline.json'), 'utf8'));
      expect(baseline).toEqual(r.evals[0]);
      const html = fs.readFileSync(path.join(tmp, 'run', 'report.html'), 'utf8');
      // (marked best when two steps happened not to improve on it)
      expect(html).toContain(`<td>0 (before training)</td><td${r.evals[0]['ndcg@10'] === Math.max(...r.evals.map((e) => e['ndcg@10'])) ? ' class="best"' : ''}>${r.evals[0]['ndcg@10'].toFixed(4)}</td>`);
      // the trainer tells the report what ran and for how long
      expect(html).toContain(`<dt>engine</dt><dd>${lines[0].replace('densetrain: ', '')}</dd>`);
      expect(html).toContain(`<dt>model</dt><dd><code>${recipe.model.path}</code></dd>`);
      expect(html).toMatch(/<dt>duration<\/dt><dd>[\d.]+ s<\/dd>/);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
  });

  it('resolveRecipe checks an object as loadRecipe checks a file, and names it', () => {
    const ok = api.resolveRecipe({ model: { path: 'm' }, data: { train: ['a.jsonl'] }, loss: { name: 'mnrl' }, train: { output_dir: 'o' } });
    expect(ok.train.lr).toBe(2e-5);
    expect(ok.data.columns.query).toBe('query');
    expect(api.resolveRecipe(ok)).toEqual(ok); // a resolved recipe resolves to itself
    expect(() => api.resolveRecipe({ model: { path: 'm' }, data: { train: ['a.jsonl'] }, loss: { name: 'mnrl' }, train: { output_dir: 'o', lr: 'fast' } } as never))
      .toThrow(/^recipe object: "train.lr" must be a number \(got "fast"\)$/);
    expect(() => api.resolveRecipe({ model: { path: 'm' }, data: { train: ['a.jsonl'] }, loss: { name: 'mnrl' }, train: { output_dir: 'o' } }, { 'train.lrr': '1' }))
      .toThrow(/override --train\.lrr: unknown key "train\.lrr" \(recipe recipe object\)/);
  });

  it('exports the onnxruntime encoder', async () => {
    const out = path.join(tmp, 'onnx');
    await api.exportOnnx(path.join(ROOT, 'models/default'), out);
    const onnx = await api.loadOnnxModel(out);
    const tfjs = await api.loadModel(path.join(ROOT, 'models/default'));
    try {
      const texts = ['how do I cancel my order?', 'Opening hours'];
      const [a, b] = [await onnx.encode(texts), await tfjs.encode(texts)];
      for (let i = 0; i < texts.length; i++) for (let j = 0; j < a[i].length; j++) expect(Math.abs(a[i][j] - b[i][j])).toBeLessThan(1e-4);
    } finally {
      await onnx.release();
      tfjs.dispose();
    }
  });
});
