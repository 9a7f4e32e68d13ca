// The onnxruntime training engine against sentence-transformers / PyTorch: two AdamW steps from
// each fixture (tiny-bert, tiny-xlmr, and the architectures only the graph computes) reproduce after_step1/2 under the same rule as the tfjs engine
// (reference.test.ts); and the host AdamW / clipping every engine uses equal the formulas computed
// element by element in float64.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LossBatch, LossConfig } from '../../src/losses/batch.js';
import { readModelFolder } from '../../src/model/folder.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { ADAMW_DEFAULTS, clipCoefficient, hostAdamwStep, hostGlobalNorm, zeroMoments } from '../../src/train/host-optim.js';
import { openLearner } from '../../src/train/learner.js';
import { expectAfterStep } from '../helpers/after-step.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const MNRL: LossConfig = { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 };

for (const name of ['tiny-bert', 'tiny-xlmr', 'tiny-distilbert', 'tiny-roberta', 'tiny-mpnet']) {
  // PyTorch and onnxruntime sum in different orders; where a gradient is ~1e-8 (Adam's eps) that
  // noise changes the step g/(|g|+eps) by up to lr, as for the tfjs engine.
  it(`${name}: two AdamW steps on the onnx engine reproduce after_step1/2 (<= 1e-5 for all but <= 4 of the values)`, async () => {
    const exp = JSON.parse(fs.readFileSync(`${FIX}${name}.expected.json`, 'utf8'));
    const folder = readModelFolder(`${FIX}${name}`);
    const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
    const toBatch = (b: any): LossBatch => ({ query: tok.encodeBatch(b.query), positive: tok.encodeBatch(b.positive), negatives: [tok.encodeBatch(b.negative)] });
    const engine = await openLearner(folder, { engine: 'onnx', loss: MNRL });
    const cfg = { ...ADAMW_DEFAULTS, weightDecay: exp.case.weight_decay };
    for (const [step, b] of [[1, exp.batch], [2, exp.batch2]] as const) {
      const loss = await engine.accumulate(toBatch(b), { seed: 0, step: 0, micro: 0 });
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
  it('equal torch\'s formulas computed in float64 over three steps (weights, moments, norms within float32 rounding)', () => {
    const rand = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
    // One tensor that decays (a Linear weight) and one that does not (a LayerNorm bias).
    const shapes: [string, number[], boolean][] = [['encoder.layer.0.intermediate.dense.weight', [6, 4], true], ['encoder.layer.0.output.LayerNorm.bias', [5], false]];
    const host: TensorMap = new Map(shapes.map(([n, sh], k) => [n, { shape: sh, data: rand(sh.reduce((a, b) => a * b), k) }]));
    const ref = new Map(shapes.map(([n]) => [n, { w: Float64Array.from(host.get(n)!.data), m: new Float64Array(host.get(n)!.data.length), v: new Float64Array(host.get(n)!.data.length) }]));
    const hs = zeroMoments(host);
    const cfg = { ...ADAMW_DEFAULTS, weightDecay: 0.1 };
    const lr = 1e-2, [b1, b2] = cfg.betas;
    for (let step = 1; step <= 3; step++) {
      // Gradients large enough that clipping to 1 applies, with some elements at 0 and ~1e-9.
      const gh: TensorMap = new Map(shapes.map(([n, sh], k) => [n, { shape: sh, data: rand(sh.reduce((a, b) => a * b), 10 * step + k + 3).map((v, i) => (i % 7 === 0 ? 0 : i % 5 === 0 ? v * 1e-9 : v * 3)) }]));
      let sq = 0;
      for (const g of gh.values()) for (const x of g.data) sq += x * x;
      const want = Math.sqrt(sq), coef = Math.min(1, 1 / (want + 1e-6));
      const nh = hostGlobalNorm(gh);
      expect(Math.abs(nh - want) / want).toBeLessThan(1e-12);
      expect(coef).toBeLessThan(1);
      for (const [n, , decay] of shapes) {
        const r = ref.get(n)!, g = gh.get(n)!.data;
        for (let i = 0; i < r.w.length; i++) {
          const gi = g[i] * coef;
          if (decay) r.w[i] *= 1 - lr * cfg.weightDecay;
          r.m[i] = b1 * r.m[i] + (1 - b1) * gi;
          r.v[i] = b2 * r.v[i] + (1 - b2) * gi * gi;
          r.w[i] -= lr * (r.m[i] / (1 - b1 ** step)) / (Math.sqrt(r.v[i] / (1 - b2 ** step)) + cfg.eps);
        }
      }
      hostAdamwStep(host, gh, hs, lr, cfg, new Set(), { average: 1, clip: clipCoefficient(nh, 1) });
      for (const [n] of shapes) {
        const r = ref.get(n)!;
        const pairs: [Float32Array, Float64Array][] = [[host.get(n)!.data, r.w], [hs.m.get(n)!.data, r.m], [hs.v.get(n)!.data, r.v]];
        for (const [a, b] of pairs) a.forEach((x, i) => expect(Math.abs(x - b[i]), n).toBeLessThanOrEqual(2e-7 * Math.max(1, Math.abs(b[i]))));
      }
    }
    expect(hs.step).toBe(3);
  });
});
