/**
 * MarginMSE distillation loss (Hofstätter et al. 2020, "Improving Efficient Neural Ranking Models
 * with Cross-Architecture Knowledge Distillation"), as sentence-transformers' `MarginMSELoss`
 * (dot-product similarity).
 *
 * For query q, positive p and k negatives n_1..n_k with teacher margins m_j:
 *
 *   L = mean_{i,j} ( (q_i·p_i − q_i·n_ij) − m_ij )²
 *
 * Teacher labels come either as margins m_ij directly, or as raw teacher scores
 * [s_p, s_n1, ..., s_nk] per query, from which m_ij = s_p − s_nj.
 */
import * as tf from '@tensorflow/tfjs';

/** Teacher margins [B, k] from raw teacher scores [B, 1+k] (positive first). */
export function marginsFromScores(scores: Float32Array, B: number, k: number): Float32Array {
  const m = new Float32Array(B * k);
  for (let i = 0; i < B; i++) for (let j = 0; j < k; j++) m[i * k + j] = scores[i * (k + 1)] - scores[i * (k + 1) + 1 + j];
  return m;
}

/**
 * @param queries   [B, H]
 * @param positives [B, H]
 * @param negatives k tensors of [B, H]
 * @param margins   [B, k] teacher margins, row-major
 */
export function marginMseLoss(queries: tf.Tensor2D, positives: tf.Tensor2D, negatives: tf.Tensor2D[], margins: Float32Array): tf.Scalar {
  return tf.tidy(() => {
    const B = queries.shape[0], k = negatives.length;
    const pos = tf.sum(tf.mul(queries, positives), 1, true); // [B, 1]
    const neg = tf.concat(negatives.map((n) => tf.sum(tf.mul(queries, n), 1, true)), 1); // [B, k]
    const student = tf.sub(pos, neg);
    return tf.mean(tf.squaredDifference(student, tf.tensor2d(margins, [B, k]))) as tf.Scalar;
  });
}
