// Fresh BERT weights as Hugging Face initialises them (BertPreTrainedModel._init_weights):
// matrices and embeddings normal(0, initializer_range), biases 0, LayerNorm weight 1, and the
// padding token's embedding row 0. Seeded, so the same seed gives the same bytes.
import { weightShapes, type EncoderConfig } from '../../src/model/config.js';
import { makeRng, seedRng } from '../../src/data/rng.js';
import type { TensorMap } from '../../src/model/safetensors.js';

export function initWeights(config: EncoderConfig, seed: number, std = 0.02): TensorMap {
  const rng = makeRng(seedRng(seed));
  // Box-Muller; 1 - next() lies in (0, 1], so the logarithm is finite.
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const out: TensorMap = new Map();
  for (const [name, shape] of weightShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('LayerNorm.weight')) data.fill(1);
    else if (!name.endsWith('.bias')) for (let i = 0; i < data.length; i++) data[i] = normal() * std;
    out.set(name, { shape, data });
  }
  const words = out.get('embeddings.word_embeddings.weight')!;
  words.data.fill(0, config.padTokenId * config.hiddenSize, (config.padTokenId + 1) * config.hiddenSize);
  return out;
}
