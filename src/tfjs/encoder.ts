// The transformer encoder (BERT / XLM-RoBERTa, post-LayerNorm) as tfjs ops, mirroring Hugging
// Face's BertModel / XLMRobertaModel forward; with a Dropout, in training mode (dropout-mask.ts).
// Shapes: B batch, L sequence, H hidden, nh heads, d = H / nh head size, F intermediate.
import * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from '../model/config.js';
import { dense } from './dense.js';
import { type Dropout, dropoutMultipliers, firstLayerSite, maskKey } from '../model/dropout-mask.js';
import type { TokenBatch } from '../model/tokenizer.js';

/** Weights by Hugging Face name; Linear weights transposed to [in, out] (see dense.ts). */
export type Params = Map<string, tf.Tensor>;

/** x [B, ...] times its dropout multipliers at `site`. */
function drop(x: tf.Tensor, rate: number, d: Dropout | undefined, site: number, B: number): tf.Tensor {
  if (!d || rate <= 0) return x;
  const perRow = x.size / B;
  return tf.mul(x, tf.tensor(dropoutMultipliers(rate, maskKey(d, site), (d.firstRow ?? 0) * perRow, x.size), x.shape, 'float32'));
}

/** Position ids: BERT counts 0..L-1; RoBERTa counts non-pad tokens from padding_idx + 1 and gives pads padding_idx. */
export function positionIds(cfg: EncoderConfig, batch: TokenBatch): Int32Array {
  const { batchSize: B, seqLen: L, inputIds } = batch;
  const out = new Int32Array(B * L);
  for (let b = 0; b < B; b++) {
    let count = 0;
    for (let t = 0; t < L; t++) {
      const i = b * L + t;
      if (cfg.modelType === 'bert') out[i] = t;
      else out[i] = inputIds[i] === cfg.padTokenId ? cfg.padTokenId : cfg.padTokenId + ++count;
    }
  }
  return out;
}

function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), g), b);
}

function gelu(x: tf.Tensor, kind: EncoderConfig['activation']): tf.Tensor {
  if (kind === 'gelu') return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  // tanh approximation: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
}

/** Embeddings: word + position + token type, then LayerNorm. -> [B*L, H] */
function embed(p: Params, cfg: EncoderConfig, batch: TokenBatch, d?: Dropout): tf.Tensor2D {
  const n = batch.batchSize * batch.seqLen;
  const ids = tf.tensor1d(batch.inputIds, 'int32');
  const pos = tf.tensor1d(positionIds(cfg, batch), 'int32');
  const types = tf.tensor1d(batch.tokenTypeIds, 'int32');
  const sum = tf.addN([
    tf.gather(p.get('embeddings.word_embeddings.weight')!, ids),
    tf.gather(p.get('embeddings.position_embeddings.weight')!, pos),
    tf.gather(p.get('embeddings.token_type_embeddings.weight')!, types),
  ]);
  const out = layerNorm(sum, p.get('embeddings.LayerNorm.weight')!, p.get('embeddings.LayerNorm.bias')!, cfg.layerNormEps);
  return tf.reshape(drop(out, cfg.hiddenDropout, d, 0, batch.batchSize), [n, cfg.hiddenSize]);
}

/** Self-attention over x [B*L, H] with additive mask bias [B, 1, 1, L]. -> [B*L, H] */
function attention(p: Params, pre: string, cfg: EncoderConfig, x: tf.Tensor2D, maskBias: tf.Tensor, B: number, L: number, drp: Dropout | undefined, site: number): tf.Tensor2D {
  const nh = cfg.numHeads, d = cfg.hiddenSize / nh;
  // [B*L, H] -> [B, nh, L, d]
  const heads = (name: string) =>
    tf.transpose(tf.reshape(dense(x, p.get(`${pre}${name}.weight`)!, p.get(`${pre}${name}.bias`)!), [B, L, nh, d]), [0, 2, 1, 3]);
  const q = heads('query'), k = heads('key'), v = heads('value');
  const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)), maskBias); // [B, nh, L, L]
  const ctx = tf.matMul(drop(tf.softmax(scores), cfg.attentionDropout, drp, site, B), v); // [B, nh, L, d]
  return tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [B * L, cfg.hiddenSize]);
}

function layer(p: Params, i: number, cfg: EncoderConfig, x: tf.Tensor2D, maskBias: tf.Tensor, B: number, L: number, d?: Dropout): tf.Tensor2D {
  const pre = `encoder.layer.${i}.`;
  const g = (n: string) => p.get(pre + n)!;
  const site = firstLayerSite(i);
  const ctx = attention(p, `${pre}attention.self.`, cfg, x, maskBias, B, L, d, site);
  const attnOut = drop(dense(ctx, g('attention.output.dense.weight'), g('attention.output.dense.bias')), cfg.hiddenDropout, d, site + 1, B);
  const a = layerNorm(tf.add(attnOut, x),
    g('attention.output.LayerNorm.weight'), g('attention.output.LayerNorm.bias'), cfg.layerNormEps) as tf.Tensor2D;
  const h = gelu(dense(a, g('intermediate.dense.weight'), g('intermediate.dense.bias')), cfg.activation) as tf.Tensor2D; // [B*L, F]
  const ffnOut = drop(dense(h, g('output.dense.weight'), g('output.dense.bias')), cfg.hiddenDropout, d, site + 2, B);
  return layerNorm(tf.add(ffnOut, a),
    g('output.LayerNorm.weight'), g('output.LayerNorm.bias'), cfg.layerNormEps) as tf.Tensor2D;
}

/** last_hidden_state [B, L, H] for a token batch; with `dropout`, in training mode. Call inside tf.tidy or a gradient scope. */
export function encoderForward(p: Params, cfg: EncoderConfig, batch: TokenBatch, dropout?: Dropout): tf.Tensor3D {
  const B = batch.batchSize, L = batch.seqLen;
  const mask = tf.tensor4d(batch.attentionMask, [B, 1, 1, L], 'int32').toFloat();
  // HF adds the dtype's minimum to masked scores; any large negative gives exp() = 0 in float32.
  const maskBias = tf.mul(tf.sub(1, mask), -1e9);
  let x = embed(p, cfg, batch, dropout);
  for (let i = 0; i < cfg.numLayers; i++) x = layer(p, i, cfg, x, maskBias, B, L, dropout);
  return tf.reshape(x, [B, L, cfg.hiddenSize]);
}
