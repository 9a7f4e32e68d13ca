// Training end to end from the architectures only the ONNX graph computes, through the recipe
// path users take: train.engine auto runs them on onnx, a crash and resume equals a straight run
// (optimizer moments of every tensor, MPNet's relative bias included, are checkpointed under the
// architecture's names), and train.engine tfjs says to use onnx.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { loadRecipe, type Recipe } from '../../src/train/recipe.js';
import { train } from '../../src/train/trainer.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-arch-train-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const quiet = { log: () => {} };

/** Dropout on, in each architecture's own config keys, so a resume must replay the masks too. */
const DROPOUT_KEYS: Record<string, Record<string, number>> = {
  'tiny-distilbert': { dropout: 0.1, attention_dropout: 0.1 },
  'tiny-roberta': { hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 },
  'tiny-mpnet': { hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 },
};

function withDropout(name: string): string {
  const dir = path.join(tmp, `${name}-dropout`);
  fs.cpSync(`${FIX}${name}`, dir, { recursive: true });
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, ...DROPOUT_KEYS[name] }));
  return dir;
}

function recipe(run: string, model: string, extra: Record<string, string> = {}): Recipe {
  const file = path.join(tmp, `${run}.yaml`);
  fs.writeFileSync(file, [
    `model: {path: ${model}}`,
    `data: {train: [${path.join(tmp, 'train.jsonl')}], num_negatives: 1, shuffle: true, tokenize_workers: 1}`,
    'loss: {name: mnrl}',
    `train: {batch_size: 4, lr: 1.0e-3, max_steps: 6, save_every: 3, seed: 5, output_dir: ${path.join(tmp, run)}}`,
  ].join('\n'));
  return loadRecipe(file, extra);
}

beforeAll(async () => {
  await initBackend('wasm');
  const b = JSON.parse(fs.readFileSync(`${FIX}tiny-mpnet.expected.json`, 'utf8'));
  const rows = [b.batch, b.batch2].flatMap((x) => x.query.map((q: string, i: number) => JSON.stringify({ query: q, positive: x.positive[i], negatives: [x.negative[i]] })));
  fs.writeFileSync(path.join(tmp, 'train.jsonl'), rows.join('\n') + '\n');
});

for (const name of Object.keys(DROPOUT_KEYS)) {
  describe(`train from ${name}`, () => {
    it('engine auto runs onnx; 6 steps straight equal 4 steps, a crash and a resume (<= 1e-6)', async () => {
      const model = withDropout(name);
      const lines: string[] = [];
      const straight = await train(recipe(`${name}-straight`, model), { log: (l) => lines.push(l) });
      expect(lines[0]).toMatch(/^densetrain: engine onnx, /);
      expect(straight.steps).toBe(6);
      const r = recipe(`${name}-resumed`, model);
      await expect(train(r, { ...quiet, onStep: (row) => { if (row.step === 4) throw new Error('simulated crash'); } })).rejects.toThrow('simulated crash');
      const resumed = await train(recipe(`${name}-resumed`, model, { 'train.resume': 'latest' }), quiet);
      const a = readSafetensors(path.join(straight.finalDir, 'model.safetensors'));
      const b = readSafetensors(path.join(resumed.finalDir, 'model.safetensors'));
      expect([...a.keys()].sort()).toEqual([...readSafetensors(`${FIX}${name}/model.safetensors`).keys()].sort());
      let worst = 0, moved = 0;
      const start = readSafetensors(`${FIX}${name}/model.safetensors`);
      for (const [k, t] of a) t.data.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - b.get(k)!.data[i]));
        moved = Math.max(moved, Math.abs(v - start.get(k)!.data[i]));
      });
      expect(worst).toBeLessThanOrEqual(1e-6);
      expect(moved).toBeGreaterThan(1e-3);
    });

    it('train.engine tfjs is refused with the way out', async () => {
      await expect(train(recipe(`${name}-tfjs`, `${FIX}${name}`, { 'train.engine': 'tfjs' }), quiet)).rejects.toThrow(/models run on the onnx engine only .*use --engine onnx/);
    });
  });
}
