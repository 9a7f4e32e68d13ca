// A dense (Linear) layer with a gradient that keeps every matMul 2-D and untransposed.
//
// Why: on the wasm backend XNNPACK's fast matmul only runs for 2-D inputs without transpose
// flags; tfjs's own matMul gradient uses transposed matmuls, which fall to a ~1 GFLOP/s path.
// Explicit `tf.transpose` + plain matMul made a dense layer's backward 12x faster there.
//
// Forward:  y[N, out] = x[N, in] · w[in, out] + b[out]      (w stored transposed vs PyTorch)
// Backward: dx[N, in] = dy · wᵀ,  dw[in, out] = xᵀ · dy,  db[out] = Σ_N dy
import * as tf from '@tensorflow/tfjs';

const denseOp = tf.customGrad((x, w, b, save) => {
  const [x2, w2, b1] = [x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D];
  (save as tf.GradSaveFunc)([x2, w2]);
  return {
    value: tf.add(tf.matMul(x2, w2), b1),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy2), tf.sum(dy2, 0)];
    },
  };
}) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** y = x·w + b for x [N, in], w [in, out], b [out]. */
export function dense(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return denseOp(x, w as tf.Tensor2D, b as tf.Tensor1D);
}
