// ModernBERT's onnx training step against central finite differences of its own loss, in what the
// tiny-modernbert fixture (no biases, dropout 0) leaves out: attention, MLP and norm biases, and
// dropout 0.1 at every ModernBERT site (embeddings, attention probabilities and output, the GeGLU
// product), on a random-weight model with a window smaller than the texts. Same check as
// encoder-fd.test.ts: |fd − g| <= 2e-4 + 2e-2·|g| at ε = 1e-2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modeFor } from '../helpers/step-mode.js';
import { dropoutSites } from '../../src/graphs/encoder-graph.js';
import type { TrainEngine } from '../../src/train/engine.js';
import { openOnnxEngine } from '../../src/train/onnx-engine.js';
import { lossAndGradients } from '../../src/train/step.js';
import type { LossBatch, LossConfig } from '../../src/losses/batch.js';
import type { TokenBatch } from '../../src/model/tokenizer.js';
import { randomModernBertFolder, rng } from '../helpers/modernbert-reference.js';
import { expectFiniteDifferences } from '../helpers/finite-differences.js';

const TENSORS = [
  'embeddings.tok_embeddings.weight',
  'embeddings.norm.bias',
  'layers.0.attn.Wqkv.weight',
  'layers.0.attn.Wqkv.bias',
  'layers.1.attn_norm.weight',
  'layers.1.attn.Wo.bias',
  'layers.1.mlp.Wi.weight',
  'layers.2.mlp.Wo.bias',
  'final_norm.weight',
];

const RAW = {
  vocab_size: 40, hidden_size: 16, num_hidden_layers: 3, num_attention_heads: 2, intermediate_size: 24, max_position_embeddings: 32,
  layer_types: ['full_attention', 'sliding_attention', 'sliding_attention'], local_attention: 6,
  rope_parameters: { full_attention: { rope_theta: 1000, rope_type: 'default' }, sliding_attention: { rope_theta: 30, rope_type: 'default' } },
  attention_bias: true, mlp_bias: true, norm_bias: true, pad_token_id: 0,
  embedding_dropout: 0.1, attention_dropout: 0.1, mlp_dropout: 0.1,
};

function tokenBatch(rows: number[][]): TokenBatch {
  const L = Math.max(...rows.map((r) => r.length)), B = rows.length;
  const inputIds = new Int32Array(B * L), attentionMask = new Int32Array(B * L);
  rows.forEach((r, b) => r.forEach((id, t) => ((inputIds[b * L + t] = id), (attentionMask[b * L + t] = 1))));
  return { inputIds, attentionMask, tokenTypeIds: new Int32Array(B * L), batchSize: B, seqLen: L };
}

let state: TrainEngine, batch: LossBatch;
beforeAll(async () => {
  const folder = randomModernBertFolder(RAW, 5, 0.2);
  state = await openOnnxEngine(folder);
  const r = rng(17);
  const column = (lengths: number[]) => tokenBatch(lengths.map((n) => Array.from({ length: n }, () => 1 + Math.floor((r() + 1) * 19))));
  batch = { query: column([5, 12, 3, 9]), positive: column([14, 7, 11, 4]), negatives: [column([6, 13, 8, 10])], teacherMargins: Float32Array.from([0.5, -1, 2, 0.1]) };
});

afterAll(() => state.dispose());

describe('onnx training step vs finite differences (random ModernBERT with biases, dropout 0.1)', () => {
  it('every dropout site of ModernBERT is a graph input: embeddings, per layer attention probabilities, attention output, GeGLU', () => {
    expect(dropoutSites(randomModernBertFolder(RAW, 5, 0.2).config).map((s) => [s.site, s.dims])).toEqual([
      [0, ['batch', 'sequence', 16]],
      ...[0, 1, 2].flatMap((i) => [[1 + 3 * i, ['batch', 2, 'sequence', 'sequence']], [2 + 3 * i, ['batch', 'sequence', 16]], [3 + 3 * i, ['batch', 'sequence', 24]]]),
    ]);
  });

  for (const cfg of [{ name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 }, { name: 'margin_mse', scale: 20, symmetric: false, mini_batch_size: 32 }] as LossConfig[]) {
    it(cfg.name, async () => {
      const seed = 3; // the same dropout masks in every evaluation
      state.weightsChanged(); // after an earlier check's last perturbation
      const { grads } = await lossAndGradients(state, cfg, batch, modeFor(seed));
      const loss = async () => {
        state.weightsChanged(); // the engine runs a copy of its weights (the optimizer's are in shared memory)
        return (await lossAndGradients(state, cfg, batch, modeFor(seed))).loss;
      };
      // Dropout is on: the step's loss is not the eval loss.
      expect(Math.abs((await lossAndGradients(state, cfg, batch, { mode: 'eval' })).loss - (await loss()))).toBeGreaterThan(1e-4);
      await expectFiniteDifferences(state.weights, grads, loss, TENSORS);
      expect(Math.max(...TENSORS.map((n) => Math.max(...grads.get(n)!.data.map(Math.abs))))).toBeGreaterThan(1e-2);
    });
  }
});
