// The ModernBERT graph against a second implementation (test/helpers/modernbert-reference.ts,
// float64, one unpadded sequence at a time), first checked itself against sentence-transformers on
// tiny-modernbert; then on random weights sharp enough that RoPE's theta and the window matter, in
// configurations the fixture lacks: biases everywhere (attention_bias, mlp_bias, norm_bias), a
// sliding first layer, the Hub's config form, the tanh GELU.
import fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createSession } from '../../src/graphs/onnx-encoder.js';
import { buildEncoderGraph } from '../../src/graphs/encoder-graph.js';
import { DEFAULT_OPSET, encodeOnnxModel } from '../../src/onnx/onnx-file.js';
import type { ModelFolder } from '../../src/model/folder.js';
import { readModelFolder } from '../../src/model/folder.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { randomModernBertFolder, type RefModernBert, refModernBertHidden, rng } from '../helpers/modernbert-reference.js';
import { maxAbsDiff } from '../helpers/reference-encoder.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;

function refOf(folder: ModelFolder): RefModernBert {
  const c = folder.config, m = c.modernbert!;
  return {
    hidden: c.hiddenSize, heads: c.numHeads, intermediate: c.intermediateSize, eps: c.layerNormEps, act: c.activation,
    global: m.globalLayers, globalTheta: m.globalRopeTheta, localTheta: m.localRopeTheta, window: m.localWindow, weights: folder.weights,
  };
}

/** last_hidden_state of a padded batch of id rows through the graph, per row its real tokens. */
async function graphHidden(folder: ModelFolder, rows: number[][]): Promise<Float32Array[][]> {
  const session = await createSession(encodeOnnxModel(buildEncoderGraph(folder, { opset: DEFAULT_OPSET }), folder.dir));
  const L = Math.max(...rows.map((x) => x.length)), B = rows.length, H = folder.config.hiddenSize;
  const ids = new BigInt64Array(B * L).fill(BigInt(folder.config.padTokenId)), mask = new BigInt64Array(B * L);
  rows.forEach((row, b) => row.forEach((id, t) => ((ids[b * L + t] = BigInt(id)), (mask[b * L + t] = 1n))));
  const out = await session.run({ input_ids: new ort.Tensor('int64', ids, [B, L]), attention_mask: new ort.Tensor('int64', mask, [B, L]) }, ['last_hidden_state']);
  await session.release();
  const h = out.last_hidden_state.data as Float32Array;
  return rows.map((row, b) => row.map((_, t) => h.slice((b * L + t) * H, (b * L + t + 1) * H)));
}

describe('ModernBERT reference implementation', () => {
  it('reproduces sentence-transformers on tiny-modernbert within 1e-5 (so it can judge the graph)', () => {
    const folder = readModelFolder(`${FIX}tiny-modernbert`);
    const exp = JSON.parse(fs.readFileSync(`${FIX}tiny-modernbert.expected.json`, 'utf8'));
    const tok = loadTokenizer(folder.dir, folder.maxSeqLength);
    const ref = refOf(folder);
    const embeddings = exp.texts.map((t: string) => {
      const h = refModernBertHidden(ref, tok.encode(t));
      const mean = h[0].map((_, j) => h.reduce((s, row) => s + row[j], 0) / h.length);
      const norm = Math.sqrt(mean.reduce((s, v) => s + v * v, 0));
      return mean.map((v) => v / norm);
    });
    expect(maxAbsDiff(embeddings, exp.embeddings)).toBeLessThan(1e-5);
  });
});

const CASES: [string, Record<string, unknown>][] = [
  ['transformers 5 form, every bias, sliding first layer, window 6', {
    vocab_size: 50, hidden_size: 16, num_hidden_layers: 3, num_attention_heads: 2, intermediate_size: 24, max_position_embeddings: 64,
    layer_types: ['sliding_attention', 'full_attention', 'sliding_attention'], local_attention: 6,
    rope_parameters: { full_attention: { rope_theta: 1000, rope_type: 'default' }, sliding_attention: { rope_theta: 30, rope_type: 'default' } },
    attention_bias: true, mlp_bias: true, norm_bias: true, norm_eps: 1e-5, pad_token_id: 0,
  }],
  ["Hub form, global every 2nd layer, window 9, gelu_pytorch_tanh, no biases", {
    vocab_size: 50, hidden_size: 24, num_hidden_layers: 3, num_attention_heads: 3, intermediate_size: 20, max_position_embeddings: 32,
    global_attn_every_n_layers: 2, global_rope_theta: 500, local_rope_theta: 20, local_attention: 9, hidden_activation: 'gelu_pytorch_tanh',
    norm_eps: 1e-6, pad_token_id: 1,
  }],
];

describe('the ModernBERT graph against the reference, padded batches, random weights', () => {
  for (const [label, raw] of CASES) {
    it(`${label}: last_hidden_state of every real token within 1e-4`, async () => {
      const folder = randomModernBertFolder(raw, label.length, 0.4);
      const r = rng(99);
      const rows = [23, 1, 12, 5, 23].map((n) => Array.from({ length: n }, () => 2 + Math.floor((r() + 1) * 24)));
      const got = await graphHidden(folder, rows);
      const ref = refOf(folder);
      let worst = 0;
      rows.forEach((row, b) => (worst = Math.max(worst, maxAbsDiff(got[b], refModernBertHidden(ref, row)))));
      expect(worst).toBeLessThan(1e-4);
      // The weights are sharp enough for the window and the thetas to matter well above that.
      const off = (edit: Partial<RefModernBert>) => maxAbsDiff(got[0], refModernBertHidden({ ...ref, ...edit }, rows[0]));
      expect(off({ window: ref.window + 2 })).toBeGreaterThan(1e-2);
      expect(off({ localTheta: ref.globalTheta })).toBeGreaterThan(1e-2);
    });
  }
});
