// The whole onnx training step (encoder graph + loss graph + backward, with dropout) against
// central finite differences of its own loss: for the weights with the largest gradients in
// several tensors of tiny-bert, tiny-distilbert and tiny-mpnet (and a few random ones), d loss / d w
// from the backward graph equals
// (L(w + ε) − L(w − ε)) / 2ε. float32 losses (~1e-7 relative) over 2ε = 2e-2 leave ~1e-5 of noise,
// so the check is |fd − g| <= 2e-4 + 2e-2·|g|.
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { modeFor } from '../helpers/step-mode.js';
import { dropoutSites } from '../../src/graphs/encoder-graph.js';
import type { TrainEngine } from '../../src/train/engine.js';
import { openOnnxEngine } from '../../src/train/onnx-engine.js';
import { lossAndGradients } from '../../src/train/step.js';
import type { LossBatch, LossConfig } from '../../src/losses/batch.js';
import { readModelFolder } from '../../src/model/folder.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { expectFiniteDifferences } from '../helpers/finite-differences.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const EMBEDDINGS = ['embeddings.word_embeddings.weight', 'embeddings.position_embeddings.weight', 'embeddings.LayerNorm.weight'];
const TENSORS: Record<string, string[]> = {
  'tiny-bert': [
    ...EMBEDDINGS,
    'encoder.layer.0.attention.self.query.weight',
    'encoder.layer.0.attention.self.value.bias',
    'encoder.layer.1.intermediate.dense.weight',
    'encoder.layer.1.output.LayerNorm.bias',
  ],
  'tiny-distilbert': [
    ...EMBEDDINGS,
    'transformer.layer.0.attention.q_lin.weight',
    'transformer.layer.0.attention.out_lin.bias',
    'transformer.layer.1.ffn.lin1.weight',
    'transformer.layer.1.sa_layer_norm.weight',
  ],
  'tiny-mpnet': [
    ...EMBEDDINGS,
    'encoder.relative_attention_bias.weight',
    'encoder.layer.0.attention.attn.q.weight',
    'encoder.layer.0.attention.attn.o.bias',
    'encoder.layer.1.output.LayerNorm.bias',
  ],
};

const cases: LossConfig[] = [
  { name: 'mnrl', scale: 20, symmetric: true, mini_batch_size: 32 },
  { name: 'margin_mse', scale: 20, symmetric: false, mini_batch_size: 32 },
];

for (const [fixture, tensors] of Object.entries(TENSORS)) describe(`onnx training step vs finite differences (${fixture}, dropout 0.1)`, () => {
  let state: TrainEngine, batch: LossBatch;
  beforeAll(async () => {
    const plain = readModelFolder(`${FIX}${fixture}`);
    const folder = { ...plain, config: { ...plain.config, hiddenDropout: 0.1, attentionDropout: 0.1 } };
    state = await openOnnxEngine(folder);
    // DistilBERT has no dropout on the attention output: 1 + 2 per layer sites, not 1 + 3.
    expect(dropoutSites(folder.config)).toHaveLength(fixture === 'tiny-distilbert' ? 5 : 7);
    const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
    const b = JSON.parse(fs.readFileSync(`${FIX}${fixture}.expected.json`, 'utf8')).batch;
    batch = { query: tok.encodeBatch(b.query), positive: tok.encodeBatch(b.positive), negatives: [tok.encodeBatch(b.negative)], teacherMargins: Float32Array.from(b.teacher_margin) };
  });

  for (const cfg of cases) {
    it(`${cfg.name}${cfg.symmetric ? ' (symmetric)' : ''}`, async () => {
      const seed = 3; // the same dropout masks in every evaluation
      state.weightsChanged(); // after an earlier check's last perturbation
      const { grads } = await lossAndGradients(state, cfg, batch, modeFor(seed));
      const loss = async () => {
        state.weightsChanged(); // the engine runs a copy of its weights (the optimizer's are in shared memory)
        return (await lossAndGradients(state, cfg, batch, modeFor(seed))).loss;
      };
      const { checked } = await expectFiniteDifferences(state.weights, grads, loss, tensors);
      expect(checked).toBe(3 * tensors.length);
      // The largest gradients are far from zero: the check is not passed by two zeros.
      expect(Math.max(...tensors.map((n) => Math.max(...grads.get(n)!.data.map(Math.abs))))).toBeGreaterThan(1e-2);
    });
  }
});
