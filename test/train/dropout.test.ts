// Training-mode dropout: reproducible for a seed, different across seeds, off at inference, and
// GradCache replays the same masks (cached_mnrl with any mini-batch size equals mnrl under dropout).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { modeFor } from '../helpers/step-mode.js';
import { initBackend } from '../../src/tfjs/backend.js';
import { readModelFolder } from '../../src/model/folder.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import type { TrainEngine } from '../../src/train/engine.js';
import { lossAndGradients } from '../../src/train/step.js';
import { openTfjsEngine } from '../../src/tfjs/tfjs-engine.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
let m: TrainEngine;
let batch: { query: any; positive: any; negatives: any[] };

beforeAll(async () => {
  await initBackend('wasm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-dropout-'));
  fs.cpSync(`${FIX}tiny-bert`, dir, { recursive: true });
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 }));
  const folder = readModelFolder(dir);
  m = await openTfjsEngine(folder);
  const tok = loadTokenizer(dir, folder.maxSeqLength);
  const exp = JSON.parse(fs.readFileSync(`${FIX}tiny-bert.expected.json`, 'utf8'));
  batch = { query: tok.encodeBatch(exp.batch.query), positive: tok.encodeBatch(exp.batch.positive), negatives: [tok.encodeBatch(exp.batch.negative)] };
});

const mnrl = { name: 'mnrl' as const, scale: 20, symmetric: false, mini_batch_size: 8 } as const;

it('the same seed gives the same loss; another seed or no dropout gives another', async () => {
  const run = async (seed?: number) => (await lossAndGradients(m, mnrl, batch, modeFor(seed))).loss;
  const a = await run(11), b = await run(11), c = await run(12), off = await run(undefined);
  expect(a).toBe(b);
  expect(Math.abs(a - c)).toBeGreaterThan(1e-4);
  expect(Math.abs(a - off)).toBeGreaterThan(1e-4);
});

it('embeddings without a dropout seed are deterministic (inference mode)', async () => {
  const e1 = await m.embed(batch.query), e2 = await m.embed(batch.query);
  expect(Array.from(e1)).toEqual(Array.from(e2));
});

it('cached_mnrl draws the rows of mnrl\'s masks: any mini-batch size equals mnrl, loss and gradients', async () => {
  // Whole columns per run for mnrl, so the mini-batches are the only row split.
  const plain = await lossAndGradients(m, mnrl, batch, { ...modeFor(5), chunkTokens: 1 << 20 });
  for (const size of [8, 3]) {
    const cached = await lossAndGradients(m, { ...mnrl, name: 'cached_mnrl', mini_batch_size: size }, batch, modeFor(5));
    expect(Math.abs(cached.loss - plain.loss)).toBeLessThan(1e-5 * plain.loss);
    for (const [k, g] of plain.grads) {
      const a = g.data, b = cached.grads.get(k)!.data;
      let num = 0, den = 0;
      a.forEach((v, i) => { num += (v - b[i]) ** 2; den += v * v; });
      expect(Math.sqrt(num), k).toBeLessThanOrEqual(1e-4 * Math.sqrt(den) + 1e-7);
    }
  }
});
