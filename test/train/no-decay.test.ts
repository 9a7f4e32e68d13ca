// AdamW's no-decay group as transformers' Trainer builds it (get_decay_parameter_names): the
// parameters of normalisation modules whatever they are named, and names matching its patterns
// (bias anywhere, layernorm, rmsnorm, norm, _norm), for every architecture's tensor names.
import { describe, expect, it } from 'vitest';
import { normParameterNames, parseConfig, weightShapes } from '../../src/model/config.js';
import { readModelFolder } from '../../src/model/folder.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { ADAMW_DEFAULTS, decays, hostAdamwStep, zeroMoments } from '../../src/train/host-optim.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;

/** The names transformers leaves undecayed, by hand from each model's modules. */
const UNDECAYED: Record<string, (name: string) => boolean> = {
  'tiny-bert': (n) => n.endsWith('.bias') || n.includes('LayerNorm'),
  'tiny-distilbert': (n) => n.endsWith('.bias') || /(sa_layer_norm|output_layer_norm|embeddings\.LayerNorm)\./.test(n),
  'tiny-mpnet': (n) => n.endsWith('.bias') || n.includes('LayerNorm') || n === 'encoder.relative_attention_bias.weight',
};

describe('decays', () => {
  for (const [name, undecayed] of Object.entries(UNDECAYED)) {
    it(`${name}: exactly the weights of Linear and Embedding modules decay`, () => {
      const cfg = readModelFolder(`${FIX}${name}`).config;
      const norms = normParameterNames(cfg);
      for (const n of weightShapes(cfg).keys()) expect(decays(n, norms), n).toBe(!undecayed(n));
    });
  }

  it('a normalisation module named unlike any pattern is found by module, not by name', () => {
    // DistilBERT's names match transformers' `_norm(\.|$)` pattern too; a module list is what
    // catches a norm named otherwise, e.g. an architecture calling it "ln".
    expect(decays('blocks.0.ln.weight', new Set())).toBe(true);
    expect(decays('blocks.0.ln.weight', new Set(['blocks.0.ln.weight']))).toBe(false);
    for (const n of ['final_norm.weight', 'layers.0.attn_norm.weight', 'embeddings.norm.weight', 'x.RMSNorm.weight']) expect(decays(n, new Set()), n).toBe(false);
    expect(decays('layers.0.normal.weight', new Set())).toBe(true);
  });

  it('hostAdamwStep decays a weight and leaves sa_layer_norm alone (zero gradient: only decay moves them)', () => {
    const cfg = parseConfig({ model_type: 'distilbert', vocab_size: 10, dim: 4, n_layers: 1, n_heads: 2, hidden_dim: 8, max_position_embeddings: 8 });
    const names = ['transformer.layer.0.sa_layer_norm.weight', 'transformer.layer.0.ffn.lin1.weight'];
    const params: TensorMap = new Map(names.map((n) => [n, { shape: [4], data: new Float32Array([1, 2, 3, 4]) }]));
    const grads: TensorMap = new Map(names.map((n) => [n, { shape: [4], data: new Float32Array(4) }]));
    hostAdamwStep(params, grads, zeroMoments(params), 0.1, { ...ADAMW_DEFAULTS, weightDecay: 0.5 }, normParameterNames(cfg));
    expect(Array.from(params.get(names[0])!.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(params.get(names[1])!.data)).toEqual([1, 2, 3, 4].map((v) => Math.fround(v * 0.95)));
  });
});
