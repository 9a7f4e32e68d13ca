// The training step (step.ts) on the onnx engine against the same step on the tfjs engine (a second
// encoder implementation, differentiated by tfjs) on the tiny fixtures: same loss (1e-4 relative)
// and gradients (relative L2 <= 1e-4 per tensor, or both tiny as in reference.test.ts), for mnrl
// (plain, symmetric), cached_mnrl (mini-batches of 3) and margin_mse; in training mode (dropout 0.1,
// the same step seed) too; for CLS and last-token pooling on random folders. Backward runs in row
// chunks give the unchunked gradients. tfjs runs on wasm (exact float32 like cpu, 20x faster).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modeFor } from '../helpers/step-mode.js';
import { initBackend } from '../../src/tfjs/backend.js';
import type { LossBatch, LossConfig } from '../../src/losses/batch.js';
import { type ModelFolder, readModelFolder } from '../../src/model/folder.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import type { TrainEngine } from '../../src/train/engine.js';
import { openOnnxEngine } from '../../src/train/onnx-engine.js';
import { lossAndGradients, type StepOptions } from '../../src/train/step.js';
import { openTfjsEngine } from '../../src/tfjs/tfjs-engine.js';
import { writeRandomFolder } from '../helpers/random-folder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const MNRL: LossConfig = { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 };
const CACHED: LossConfig = { ...MNRL, name: 'cached_mnrl', mini_batch_size: 3 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'train-step-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The fixture's 8 (query, positive, negative, margin) rows, tokenized for `folder`. */
function fixtureBatch(folder: ModelFolder, fixture: string): LossBatch {
  const b = JSON.parse(fs.readFileSync(`${FIX}${fixture}.expected.json`, 'utf8')).batch;
  const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
  const enc = (t: string[]) => tok.encodeBatch(t);
  return { query: enc(b.query), positive: enc(b.positive), negatives: [enc(b.negative)], teacherMargins: Float32Array.from(b.teacher_margin) };
}

/** Both engines' loss and gradients for one step agree (`stepSeed`: training mode). */
async function expectSameStep(model: TrainEngine, state: TrainEngine, cfg: LossConfig, batch: LossBatch, stepSeed?: number): Promise<number> {
  const want = await lossAndGradients(model, cfg, batch, modeFor(stepSeed));
  const got = await lossAndGradients(state, cfg, batch, modeFor(stepSeed));
  expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-4);
  expectClose(got.grads, want.grads);
  return got.loss;
}

function expectClose(got: TensorMap, want: TensorMap) {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  const norm = Math.sqrt([...want.values()].reduce((s, t) => s + t.data.reduce((a, v) => a + v * v, 0), 0));
  for (const [name, g] of got) {
    const r = want.get(name)!;
    expect(g.shape, name).toEqual(r.shape);
    const ref = r.data;
    let num = 0, den = 0, own = 0;
    ref.forEach((v, i) => { num += (g.data[i] - v) ** 2; den += v * v; own += g.data[i] ** 2; });
    if (Math.sqrt(den) < 1e-6 * norm) expect(Math.sqrt(own), name).toBeLessThan(1e-5 * norm);
    else expect(Math.sqrt(num / den), name).toBeLessThan(1e-4);
  }
}

for (const name of ['tiny-bert', 'tiny-xlmr']) {
  describe(`${name}: the step on the onnx engine vs on the tfjs engine`, () => {
    let model: TrainEngine, state: TrainEngine, batch: LossBatch;
    beforeAll(async () => {
      await initBackend('wasm');
      const folder = readModelFolder(`${FIX}${name}`);
      model = await openTfjsEngine(folder);
      state = await openOnnxEngine(folder);
      batch = fixtureBatch(folder, name);
    });

    for (const cfg of [MNRL, { ...MNRL, symmetric: true }, CACHED, { ...MNRL, name: 'margin_mse' }] as LossConfig[]) {
      it(`${cfg.name}${cfg.symmetric ? ' (symmetric)' : ''}`, () => expectSameStep(model, state, cfg, batch));
    }

    // Training changes the weights every step: the fed weights, not the graph's build-time values, must count.
    it('uses the weights it is fed: the same change in both engines gives the same loss and gradients', async () => {
      const w = 'encoder.layer.0.intermediate.dense.weight';
      const before = await lossAndGradients(state, MNRL, batch, { mode: 'eval' });
      const changed = model.weights.get(w)!.data.map((x, i) => x + 0.05 * Math.sin(i));
      model.weights.get(w)!.data.set(changed);
      model.weightsChanged();
      state.weights.get(w)!.data.set(changed);
      state.weightsChanged();
      const want = await lossAndGradients(model, MNRL, batch, { mode: 'eval' });
      const got = await lossAndGradients(state, MNRL, batch, { mode: 'eval' });
      expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      expect(Math.abs(got.loss - before.loss)).toBeGreaterThan(1e-4);
      expectClose(got.grads, want.grads);
    });
  });
}

describe('training mode: dropout 0.1 on hidden states and attention probabilities', () => {
  let folder: ModelFolder, model: TrainEngine, state: TrainEngine, batch: LossBatch;
  beforeAll(async () => {
    await initBackend('wasm');
    const plain = readModelFolder(`${FIX}tiny-bert`);
    folder = { ...plain, config: { ...plain.config, hiddenDropout: 0.1, attentionDropout: 0.1 } };
    model = await openTfjsEngine(folder);
    state = await openOnnxEngine(folder);
    batch = fixtureBatch(folder, 'tiny-bert');
  });

  // mnrl: whole columns; cached_mnrl: each mini-batch draws its rows of the column masks, in both passes.
  for (const cfg of [MNRL, CACHED]) {
    it(`${cfg.name}: the onnx engine draws the tfjs engine's masks, so the same loss and gradients`, async () => {
      const dropped = await expectSameStep(model, state, cfg, batch, 7);
      // Dropout must be on: the loss moves away from eval mode's.
      const evalLoss = (await lossAndGradients(state, cfg, batch, { mode: 'eval' })).loss;
      expect(Math.abs(dropped - evalLoss) / evalLoss).toBeGreaterThan(1e-3);
    });
  }

  it('both passes in chunks of 2 or 3 rows give the unchunked loss and gradients (each chunk draws its rows of the masks)', async () => {
    const whole = await lossAndGradients(state, MNRL, batch, modeFor(7));
    const norm = Math.sqrt([...whole.grads.values()].reduce((s, g) => s + g.data.reduce((a, v) => a + v * v, 0), 0));
    // Chunks of 2 or 3 rows of the longest column (the query column's are longer: fewer, larger chunks).
    for (const rows of [2, 3]) {
      const opts: StepOptions = { ...modeFor(7), chunkTokens: rows * batch.positive.seqLen };
      const chunked = await lossAndGradients(state, MNRL, batch, opts);
      expect(Math.abs(chunked.loss - whole.loss) / whole.loss).toBeLessThan(1e-6);
      for (const [name, g] of whole.grads) {
        const c = chunked.grads.get(name)!;
        let num = 0, den = 0;
        g.data.forEach((v, i) => { num += (c.data[i] - v) ** 2; den += v * v; });
        // Attention key biases get mathematically zero gradients: only float noise, against the global norm.
        const scale = Math.sqrt(den) < 1e-6 * norm ? norm : Math.sqrt(den);
        expect(Math.sqrt(num) / scale, `${name}, ${rows} rows`).toBeLessThan(1e-5);
      }
    }
  });
});

// Random-weight folders (config dropout 0.1): the pooling VJPs inside the whole step, with and without dropout.
for (const [pooling, arch] of [['cls', 'bert'], ['lasttoken', 'xlm-roberta']] as const) {
  describe(`${pooling} pooling (${arch}, random weights)`, () => {
    let model: TrainEngine, state: TrainEngine, batch: LossBatch;
    beforeAll(async () => {
      await initBackend('wasm');
      const dir = path.join(tmp, pooling);
      writeRandomFolder(dir, { arch, hidden: 16, layers: 2, heads: 2, intermediate: 32, layout: 'classic', pooling, normalize: pooling === 'cls', tokenizerMaxLength: 128, seed: 11 });
      const folder = readModelFolder(dir);
      expect(folder.pooling).toBe(pooling);
      model = await openTfjsEngine(folder);
      state = await openOnnxEngine(folder);
      batch = fixtureBatch(folder, arch === 'bert' ? 'tiny-bert' : 'tiny-xlmr');
    });

    it('eval-mode embeddings equal the tfjs engine\'s', async () => {
      const ref = await model.embed(batch.positive);
      const got = await state.embed(batch.positive);
      ref.forEach((v, i) => expect(Math.abs(got[i] - v), `element ${i}`).toBeLessThan(1e-5 * (1 + Math.abs(v))));
    });

    it('mnrl loss and gradients, eval mode and with dropout', async () => {
      await expectSameStep(model, state, MNRL, batch);
      await expectSameStep(model, state, MNRL, batch, 3);
    });
  });
}

describe('bad options are refused before any work', () => {
  it('names an execution provider onnxruntime cannot start, and a chunkTokens below 1', async () => {
    const folder = readModelFolder(`${FIX}tiny-bert`);
    await expect(openOnnxEngine(folder, { executionProvider: 'nosuch' })).rejects.toThrow(/eval-forward graph on the nosuch execution provider/);
    const engine = await openOnnxEngine(folder);
    await expect(lossAndGradients(engine, MNRL, fixtureBatch(folder, 'tiny-bert'), { mode: 'eval', chunkTokens: 0 })).rejects.toThrow(/chunkTokens must be a positive integer, not 0/);
    await engine.dispose();
  });
});
