// Training ModernBERT on the onnxruntime engine against sentence-transformers / PyTorch
// (tiny-modernbert: 4 layers, sliding window 16 < max_seq_length 64): MNRL and MarginMSE losses
// and first-step gradients within 1e-4 relative, then two AdamW steps under the after_step rule
// of the other fixtures (onnx-engine.test.ts), with ModernBERT's norms out of weight decay.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LossBatch, LossConfig } from '../../src/losses/batch.js';
import { readModelFolder } from '../../src/model/folder.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { normParameterNames } from '../../src/model/config.js';
import { ADAMW_DEFAULTS, decays } from '../../src/train/host-optim.js';
import { openLearner } from '../../src/train/learner.js';
import { openOnnxEngine } from '../../src/train/onnx-engine.js';
import { lossAndGradients } from '../../src/train/step.js';
import { expectAfterStep } from '../helpers/after-step.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const NAME = 'tiny-modernbert';
const MNRL: LossConfig = { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 };
const exp = JSON.parse(fs.readFileSync(`${FIX}${NAME}.expected.json`, 'utf8'));

function batchOf(b: any, withMargins = false): LossBatch {
  const tok = loadTokenizer(`${FIX}${NAME}`, 64);
  const out: LossBatch = { query: tok.encodeBatch(b.query), positive: tok.encodeBatch(b.positive), negatives: [tok.encodeBatch(b.negative)] };
  if (withMargins) out.teacherMargins = Float32Array.from(b.teacher_margin);
  return out;
}

describe('tiny-modernbert on the onnx engine', () => {
  it('the batch exercises local attention: some texts are longer than the sliding window', () => {
    const tok = loadTokenizer(`${FIX}${NAME}`, 64);
    const lengths = [...exp.batch.query, ...exp.batch.positive, ...exp.batch.negative].map((t: string) => tok.encode(t).length);
    expect(Math.max(...lengths)).toBeGreaterThan(exp.case.local_window / 2 + 1);
  });

  it('MNRL and MarginMSE losses and first-step gradients match PyTorch (1e-4 relative per tensor)', async () => {
    const folder = readModelFolder(`${FIX}${NAME}`);
    // chunkTokens 100: several chunks per column, so the gradient sums over runs are exercised too.
    const state = await openOnnxEngine(folder);
    try {
      const mse = await lossAndGradients(state, { ...MNRL, name: 'margin_mse' }, batchOf(exp.batch, true), { mode: 'eval', chunkTokens: 100 });
      expect(Math.abs(mse.loss - exp.margin_mse_loss) / exp.margin_mse_loss).toBeLessThan(1e-4);
      const { loss, grads } = await lossAndGradients(state, MNRL, batchOf(exp.batch), { mode: 'eval', chunkTokens: 100 });
      expect(Math.abs(loss - exp.mnrl_loss) / exp.mnrl_loss).toBeLessThan(1e-4);
      // ModernBERT's Linear weights are fed and differentiated in PyTorch's [out, in] layout.
      const ref = readSafetensors(`${FIX}${NAME}.grads.safetensors`);
      expect([...grads.keys()].sort()).toEqual([...ref.keys()].sort());
      let sq = 0;
      for (const [name, r] of ref) {
        const got = grads.get(name)!;
        expect(got.shape, name).toEqual(r.shape);
        let num = 0, den = 0;
        r.data.forEach((v, i) => { num += (got.data[i] - v) ** 2; den += v * v; sq += got.data[i] ** 2; });
        expect(Math.sqrt(num / den), name).toBeLessThan(1e-4);
      }
      expect(Math.abs(Math.sqrt(sq) - exp.grad_norms[0]) / exp.grad_norms[0]).toBeLessThan(1e-4);
    } finally {
      await state.dispose();
    }
  });

  it('two AdamW steps reproduce after_step1/2 (<= 1e-5 for all but <= 4 of the values)', async () => {
    const folder = readModelFolder(`${FIX}${NAME}`);
    const engine = await openLearner(folder, { engine: 'onnx', loss: MNRL });
    const cfg = { ...ADAMW_DEFAULTS, weightDecay: exp.case.weight_decay };
    for (const [step, b] of [[1, exp.batch], [2, exp.batch2]] as const) {
      const loss = await engine.accumulate(batchOf(b), { seed: 0, step: 0, micro: 0 });
      if (step === 1) expect(Math.abs(loss - exp.mnrl_loss) / exp.mnrl_loss).toBeLessThan(1e-4);
      const norm = engine.update(1, exp.case.lr, null, cfg);
      expect(Math.abs(norm - exp.grad_norms[step - 1]) / exp.grad_norms[step - 1]).toBeLessThan(1e-4);
      expectAfterStep(`${FIX}${NAME}.after_step${step}.safetensors`, engine.weights(), exp.case.lr);
    }
    await engine.dispose();
  });

  it('weight decay skips the LayerNorm parameters by module (attn_norm, mlp_norm, final_norm, embeddings.norm), not the Linear weights', () => {
    const norms = normParameterNames(readModelFolder(`${FIX}${NAME}`).config);
    for (const name of ['embeddings.norm.weight', 'layers.1.attn_norm.weight', 'final_norm.weight']) expect(norms.has(name), name).toBe(true);
    for (const name of ['embeddings.norm.weight', 'layers.1.attn_norm.weight', 'layers.0.mlp_norm.weight', 'layers.3.mlp_norm.bias', 'final_norm.weight', 'layers.2.attn.Wqkv.bias']) {
      expect(decays(name, norms), name).toBe(false);
    }
    for (const name of ['embeddings.tok_embeddings.weight', 'layers.1.attn.Wqkv.weight', 'layers.1.attn.Wo.weight', 'layers.0.mlp.Wi.weight', 'layers.0.mlp.Wo.weight', 'layers.0.mlp.norm_scale.weight']) {
      expect(decays(name, norms), name).toBe(true);
    }
  });
});
