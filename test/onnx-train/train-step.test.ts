// onnxLossAndGradients against the tfjs engine's lossAndGradients on the tiny fixtures: same loss
// (1e-4 relative) and gradients (relative L2 <= 1e-4 per tensor, or both tiny as in
// reference.test.ts), for mnrl (plain, symmetric), cached_mnrl (mini-batches of 3) and margin_mse.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { createOnnxTrainState, type OnnxTrainState, onnxLossAndGradients } from '../../src/engine/onnx/train-step.js';
import type { LossBatch, LossConfig } from '../../src/losses/batch.js';
import { readModelFolder } from '../../src/model/folder.js';
import { modelFromFolder, type SentenceModel } from '../../src/model/model.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { lossAndGradients } from '../../src/train/gradients.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const MNRL: LossConfig = { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 };

function expectClose(got: TensorMap, want: Map<string, tf.Tensor>) {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  const norm = Math.sqrt([...want.values()].reduce((s, t) => s + (t.dataSync() as Float32Array).reduce((a, v) => a + v * v, 0), 0));
  for (const [name, g] of got) {
    const r = want.get(name)!;
    expect(g.shape, name).toEqual(r.shape);
    const ref = r.dataSync();
    let num = 0, den = 0, own = 0;
    ref.forEach((v, i) => { num += (g.data[i] - v) ** 2; den += v * v; own += g.data[i] ** 2; });
    if (Math.sqrt(den) < 1e-6 * norm) expect(Math.sqrt(own), name).toBeLessThan(1e-5 * norm);
    else expect(Math.sqrt(num / den), name).toBeLessThan(1e-4);
  }
}

for (const name of ['tiny-bert', 'tiny-xlmr']) {
  describe(`${name}: onnxLossAndGradients vs tfjs lossAndGradients`, () => {
    let model: SentenceModel, state: OnnxTrainState, batch: LossBatch;
    beforeAll(async () => {
      await initBackend('cpu');
      const folder = readModelFolder(`${FIX}${name}`);
      model = modelFromFolder(folder);
      state = await createOnnxTrainState(folder);
      const b = JSON.parse(fs.readFileSync(`${FIX}${name}.expected.json`, 'utf8')).batch;
      const enc = (t: string[]) => model.tokenizer.encodeBatch(t);
      batch = { query: enc(b.query), positive: enc(b.positive), negatives: [enc(b.negative)], teacherMargins: Float32Array.from(b.teacher_margin) };
    });

    for (const cfg of [MNRL, { ...MNRL, symmetric: true }, { ...MNRL, name: 'cached_mnrl', mini_batch_size: 3 }, { ...MNRL, name: 'margin_mse' }] as LossConfig[]) {
      it(`${cfg.name}${cfg.symmetric ? ' (symmetric)' : ''}`, async () => {
        const want = lossAndGradients(model, cfg, batch);
        const got = await onnxLossAndGradients(state, cfg, batch);
        expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-4);
        expectClose(got.grads, want.grads);
        want.grads.forEach((t) => t.dispose());
      });
    }

    // Training changes the weights every step: the fed weights, not the graph's build-time values, must count.
    it('uses the weights it is fed: the same change in both engines gives the same loss and gradients', async () => {
      const w = 'encoder.layer.0.intermediate.dense.weight';
      const v = model.params.get(w)!;
      const changed = (v.dataSync() as Float32Array).map((x, i) => x + 0.05 * Math.sin(i));
      v.assign(tf.tensor(changed, v.shape));
      state.weights.get(w)!.data.set(changed);
      const want = lossAndGradients(model, MNRL, batch);
      const got = await onnxLossAndGradients(state, MNRL, batch);
      expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      expectClose(got.grads, want.grads);
      want.grads.forEach((t) => t.dispose());
    });
  });
}
