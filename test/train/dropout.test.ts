// Training-mode dropout: reproducible for a seed, different across seeds, off at inference, and
// GradCache replays the same masks (cached_mnrl with any mini-batch size equals mnrl under dropout).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { loadModel, type SentenceModel } from '../../src/model/model.js';
import { lossAndGradients } from '../../src/train/gradients.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
let m: SentenceModel;
let batch: { query: any; positive: any; negatives: any[] };

beforeAll(async () => {
  await initBackend('wasm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-dropout-'));
  fs.cpSync(`${FIX}tiny-bert`, dir, { recursive: true });
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 }));
  m = await loadModel(dir);
  const exp = JSON.parse(fs.readFileSync(`${FIX}tiny-bert.expected.json`, 'utf8'));
  batch = { query: m.tokenizer.encodeBatch(exp.batch.query), positive: m.tokenizer.encodeBatch(exp.batch.positive), negatives: [m.tokenizer.encodeBatch(exp.batch.negative)] };
});

const mnrl = { name: 'mnrl' as const, scale: 20, symmetric: false, mini_batch_size: 8 } as const;

it('the same seed gives the same loss; another seed or no dropout gives another', () => {
  const run = (seed?: number) => {
    const r = lossAndGradients(m, mnrl, batch, seed);
    r.grads.forEach((g) => g.dispose());
    return r.loss;
  };
  const a = run(11), b = run(11), c = run(12), off = run(undefined);
  expect(a).toBe(b);
  expect(Math.abs(a - c)).toBeGreaterThan(1e-4);
  expect(Math.abs(a - off)).toBeGreaterThan(1e-4);
});

it('embeddings without a dropout seed are deterministic (inference mode)', () => {
  const e1 = m.embed(batch.query), e2 = m.embed(batch.query);
  expect(Array.from(e1.dataSync())).toEqual(Array.from(e2.dataSync()));
  tf.dispose([e1, e2]);
});

it('cached_mnrl draws the rows of mnrl\'s masks: any mini-batch size equals mnrl, loss and gradients', () => {
  const plain = lossAndGradients(m, mnrl, batch, 5);
  for (const size of [8, 3]) {
    const cached = lossAndGradients(m, { ...mnrl, name: 'cached_mnrl', mini_batch_size: size }, batch, 5);
    expect(Math.abs(cached.loss - plain.loss)).toBeLessThan(1e-5 * plain.loss);
    for (const [k, g] of plain.grads) {
      const a = g.dataSync(), b = cached.grads.get(k)!.dataSync();
      let num = 0, den = 0;
      a.forEach((v, i) => { num += (v - b[i]) ** 2; den += v * v; });
      expect(Math.sqrt(num), k).toBeLessThanOrEqual(1e-4 * Math.sqrt(den) + 1e-7);
    }
    cached.grads.forEach((g) => g.dispose());
  }
  plain.grads.forEach((g) => g.dispose());
});
