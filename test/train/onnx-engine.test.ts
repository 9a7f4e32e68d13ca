// The onnxruntime training engine against sentence-transformers / PyTorch: two AdamW steps from
// each fixture (tiny-bert, tiny-xlmr, and the architectures only the graph computes) reproduce after_step1/2 under the same rule as the tfjs engine
// (reference.test.ts); and the host AdamW / clipping it uses equal the tfjs ones.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import type { LossBatch, LossConfig } from '../../src/losses/batch.js';
import { readModelFolder } from '../../src/model/folder.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { ADAMW_DEFAULTS, adamwStep, disposeAdamW, initAdamW } from '../../src/train/adamw.js';
import { clipGradients, globalNorm } from '../../src/train/clip.js';
import { hostAdamwStep, hostClip, hostGlobalNorm, zeroMoments } from '../../src/train/host-optim.js';
import { openOnnxEngine } from '../../src/train/onnx-engine.js';
import { expectAfterStep } from '../helpers/after-step.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const MNRL: LossConfig = { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 };

beforeAll(() => initBackend('cpu'));

for (const name of ['tiny-bert', 'tiny-xlmr', 'tiny-distilbert', 'tiny-roberta', 'tiny-mpnet']) {
  // PyTorch and onnxruntime sum in different orders; where a gradient is ~1e-8 (Adam's eps) that
  // noise changes the step g/(|g|+eps) by up to lr, as for the tfjs engine.
  it(`${name}: two AdamW steps on the onnx engine reproduce after_step1/2 (<= 1e-5 for all but <= 4 of the values)`, async () => {
    const exp = JSON.parse(fs.readFileSync(`${FIX}${name}.expected.json`, 'utf8'));
    const folder = readModelFolder(`${FIX}${name}`);
    const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
    const toBatch = (b: any): LossBatch => ({ query: tok.encodeBatch(b.query), positive: tok.encodeBatch(b.positive), negatives: [tok.encodeBatch(b.negative)] });
    const engine = await openOnnxEngine(folder, MNRL);
    const cfg = { ...ADAMW_DEFAULTS, weightDecay: exp.case.weight_decay };
    for (const [step, b] of [[1, exp.batch], [2, exp.batch2]] as const) {
      const loss = await engine.accumulate(toBatch(b), 0);
      if (step === 1) expect(Math.abs(loss - exp.mnrl_loss) / exp.mnrl_loss).toBeLessThan(1e-4);
      const norm = engine.update(1, exp.case.lr, null, cfg);
      if (step === 1) expect(Math.abs(norm - exp.grad_norms[0]) / exp.grad_norms[0]).toBeLessThan(1e-4);
      expectAfterStep(`${FIX}${name}.after_step${step}.safetensors`, engine.weights(), exp.case.lr);
    }
    expect(engine.moments().step).toBe(2);
    await engine.dispose();
  });
}

describe('host AdamW and clipping', () => {
  it('equal the tfjs ones over three steps (weights, moments, norms within float32 rounding)', () => {
    const rand = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
    const shapes: [string, number[]][] = [['encoder.layer.0.intermediate.dense.weight', [6, 4]], ['encoder.layer.0.output.LayerNorm.bias', [5]]];
    const host: TensorMap = new Map(shapes.map(([n, sh], k) => [n, { shape: sh, data: rand(sh.reduce((a, b) => a * b), k) }]));
    const vars = new Map(shapes.map(([n, sh]) => [n, tf.variable(tf.tensor(host.get(n)!.data.slice(), sh))]));
    const hs = zeroMoments(host), ts = initAdamW(vars);
    const cfg = { ...ADAMW_DEFAULTS, weightDecay: 0.1 };
    for (let step = 0; step < 3; step++) {
      // Gradients large enough that clipping to 1 applies, with some elements at 0 and ~1e-9.
      const gh: TensorMap = new Map(shapes.map(([n, sh], k) => [n, { shape: sh, data: rand(sh.reduce((a, b) => a * b), 10 * step + k + 3).map((v, i) => (i % 7 === 0 ? 0 : i % 5 === 0 ? v * 1e-9 : v * 3)) }]));
      const gt = new Map([...gh].map(([n, t]) => [n, tf.tensor(t.data.slice(), t.shape)]));
      const nh = hostGlobalNorm(gh), nt = globalNorm(gt);
      expect(Math.abs(nh - nt) / nt).toBeLessThan(1e-6);
      hostClip(gh, nh, 1);
      clipGradients(gt, nt, 1);
      hostAdamwStep(host, gh, hs, 1e-2, cfg, new Set());
      adamwStep(vars, gt, ts, 1e-2, cfg, new Set());
      gt.forEach((t) => t.dispose());
      for (const [n] of shapes) {
        const pairs: [Float32Array, Float32Array][] = [
          [host.get(n)!.data, vars.get(n)!.dataSync() as Float32Array],
          [hs.m.get(n)!.data, ts.m.get(n)!.dataSync() as Float32Array],
          [hs.v.get(n)!.data, ts.v.get(n)!.dataSync() as Float32Array],
        ];
        for (const [a, b] of pairs) a.forEach((x, i) => expect(Math.abs(x - b[i]), n).toBeLessThanOrEqual(2e-7 * Math.max(1, Math.abs(b[i]))));
      }
    }
    expect(hs.step).toBe(3);
    disposeAdamW(ts);
    vars.forEach((v) => v.dispose());
  });
});
