// A loss and its gradient on the sentence embeddings alone: the small [rows, H] end of the ONNX
// training step. The losses are the tfjs ones (src/losses) differentiated by tfjs on host arrays,
// so both engines share one definition; the encoder's backward graph takes these gradients.
import * as tf from '@tensorflow/tfjs';
import type { LossConfig } from '../../losses/batch.js';
import { marginMseLoss } from '../../losses/margin-mse.js';
import { mnrlLoss } from '../../losses/mnrl.js';

/** Embeddings [rows, H] of each column: query, positive, then one per negative slot. */
export interface ColumnEmbeddings {
  hidden: number;
  columns: Float32Array[];
}

export interface EmbeddingLoss {
  loss: number;
  /** dL/d(embeddings), one [rows, H] array per column. */
  grads: Float32Array[];
}

export function embeddingLossAndGradients(cfg: LossConfig, e: ColumnEmbeddings, teacherMargins?: Float32Array): EmbeddingLoss {
  if (cfg.name === 'margin_mse' && !teacherMargins) throw new Error('margin_mse: the batch has no teacher margins');
  const xs = e.columns.map((c) => tf.tensor2d(c, [c.length / e.hidden, e.hidden]));
  const lossOf = (...cols: tf.Tensor[]) => {
    const [q, p, ...negs] = cols as tf.Tensor2D[];
    return cfg.name === 'margin_mse'
      ? marginMseLoss(q, p, negs, teacherMargins!)
      : mnrlLoss(q, tf.concat([p, ...negs], 0) as tf.Tensor2D, { scale: cfg.scale, symmetric: cfg.symmetric });
  };
  const { value, grads } = tf.valueAndGrads(lossOf)(xs);
  const out = { loss: value.dataSync()[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
  tf.dispose([value, ...grads, ...xs]);
  return out;
}
