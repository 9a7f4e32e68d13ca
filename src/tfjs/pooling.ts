// Pooling token embeddings into one sentence embedding, as sentence-transformers' Pooling module,
// then the optional Normalize module.
import * as tf from '@tensorflow/tfjs';
import type { PoolingMode } from '../model/folder.js';
import type { TokenBatch } from '../model/tokenizer.js';

/**
 * The tokens pooled: the attention mask, less the first promptLength positions of every row when
 * the prompt is left out (sentence-transformers' `attention_mask[:, :prompt_length] = 0`).
 */
export function poolingMask(batch: TokenBatch, includePrompt: boolean): Int32Array {
  const n = includePrompt ? 0 : Math.min(batch.promptLength ?? 0, batch.seqLen);
  if (n === 0) return batch.attentionMask;
  const mask = batch.attentionMask.slice();
  for (let b = 0; b < batch.batchSize; b++) mask.fill(0, b * batch.seqLen, b * batch.seqLen + n);
  return mask;
}

/** h [B, L, H] -> [B, H]; `includePrompt` false leaves batch.promptLength tokens out. */
export function pool(h: tf.Tensor3D, batch: TokenBatch, mode: PoolingMode, includePrompt = true): tf.Tensor2D {
  const [B, L, H] = h.shape;
  const pooled = poolingMask(batch, includePrompt);
  const mask = tf.tensor3d(pooled, [B, L, 1], 'int32').toFloat();
  switch (mode) {
    case 'mean': {
      const count = tf.maximum(tf.sum(mask, 1), 1e-9); // [B, 1]
      return tf.div(tf.sum(tf.mul(h, mask), 1), count);
    }
    case 'cls':
      return tf.reshape(tf.slice(h, [0, 0, 0], [B, 1, H]), [B, H]);
    case 'max':
      // sentence-transformers sets padded positions to -1e9 before taking the max.
      return tf.max(tf.where(tf.cast(tf.broadcastTo(mask, [B, L, H]), 'bool'), h, tf.fill([B, L, H], -1e9)), 1);
    case 'lasttoken': {
      const idx = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        let last = 0;
        for (let t = 0; t < L; t++) if (pooled[b * L + t]) last = t;
        idx[b] = b * L + last;
      }
      return tf.gather(tf.reshape(h, [B * L, H]), tf.tensor1d(idx, 'int32')) as tf.Tensor2D;
    }
  }
}

/** L2 normalisation as torch.nn.functional.normalize (eps 1e-12). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.maximum(tf.norm(x, 2, -1, true), 1e-12));
}
