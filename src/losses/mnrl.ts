/**
 * MultipleNegativesRankingLoss (InfoNCE with in-batch negatives), as sentence-transformers'
 * `MultipleNegativesRankingLoss` (Henderson et al. 2017, "Efficient Natural Language Response
 * Suggestion for Smart Reply"; van den Oord et al. 2018).
 *
 * For B queries q_i, candidates c = [p_1..p_B, n_1^1..n_B^1, ..., n_1^k..n_B^k] ((1+k)·B rows):
 *
 *   s_ij = scale · cos(q_i, c_j)
 *   L    = −(1/B) Σ_i log softmax_j(s_i·)[i]         (the target of q_i is its own positive p_i)
 *
 * `symmetric` adds the positive → query direction over the B×B block (ST's
 * MultipleNegativesSymmetricRankingLoss): L = (L_q→c + L_p→q) / 2.
 */
import * as tf from '@tensorflow/tfjs';

export interface MnrlOptions {
  scale: number;
  symmetric: boolean;
}

/** Row-wise L2 normalisation (torch.nn.functional.normalize, eps 1e-12). */
function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.maximum(tf.norm(x, 2, 1, true), 1e-12));
}

/** Mean cross-entropy of logits [B, C] with target column i for row i. */
function diagonalCrossEntropy(logits: tf.Tensor2D): tf.Scalar {
  // eye, not oneHot: oneHot needs depth >= 2, and a last batch of one row has a single column.
  const targets = tf.eye(logits.shape[0], logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/**
 * @param queries    [B, H] query embeddings
 * @param candidates [(1+k)·B, H]: the B positives, then each negative slot's B rows
 */
export function mnrlLoss(queries: tf.Tensor2D, candidates: tf.Tensor2D, opts: MnrlOptions): tf.Scalar {
  return tf.tidy(() => {
    const B = queries.shape[0];
    const q = normalizeRows(queries);
    const c = normalizeRows(candidates);
    const scores = tf.mul(tf.matMul(q, tf.transpose(c)), opts.scale) as tf.Tensor2D; // [B, (1+k)B]
    const forward = diagonalCrossEntropy(scores);
    if (!opts.symmetric) return forward;
    const backward = diagonalCrossEntropy(tf.transpose(tf.slice(scores, [0, 0], [B, B])) as tf.Tensor2D);
    return tf.div(tf.add(forward, backward), 2) as tf.Scalar;
  });
}
