// Dynamic int8 quantisation of the Linear layers, the scheme of onnxruntime's quantize_dynamic:
// weights int8 per output column (symmetric), activations uint8 per tensor at run time.
// onnxruntime fuses DynamicQuantizeLinear → MatMulInteger → Cast → Mul into one int8 GEMM.
// Embedding tables, LayerNorm and attention stay float32.
import type { HostTensor } from '../model/safetensors.js';
import type { Linear } from '../graphs/encoder-graph.js';
import { addInitializer, node, nodeN, onnx } from '../onnx/graph-builder.js';

/**
 * 7-bit weights (±63): x86 without VNNI multiplies uint8 by int8 in pairs summed into int16, which
 * saturates at full 8-bit range (onnxruntime's reduce_range exists for the same reason).
 */
const WEIGHT_MAX = 63;

/** w [in, out] -> int8 weights and one scale per output column. */
export function quantizeColumns(w: HostTensor): { q: Int8Array; scales: Float32Array } {
  const [rows, cols] = w.shape;
  const scales = new Float32Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) scales[j] = Math.max(scales[j], Math.abs(w.data[i * cols + j]));
  }
  for (let j = 0; j < cols; j++) scales[j] = scales[j] / WEIGHT_MAX || 1; // an all-zero column quantises to zeros
  const q = new Int8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) q[i * cols + j] = Math.round(w.data[i * cols + j] / scales[j]);
  }
  return { q, scales };
}

export const int8Linear: Linear = (g, x, name, w, b) => {
  const { q, scales } = quantizeColumns(w);
  const wq = addInitializer(g, `${name}.weight_int8`, 'int8', w.shape, q);
  const ws = addInitializer(g, `${name}.weight_scale`, 'float', [w.shape[1]], scales);
  const bias = addInitializer(g, `${name}.bias`, 'float', b.shape, b.data);
  const [xq, xScale, xZero] = nodeN(g, 'DynamicQuantizeLinear', [x], 3);
  const acc = node(g, 'Cast', [node(g, 'MatMulInteger', [xq, wq, xZero])], { to: onnx.TensorProto.DataType.FLOAT });
  return node(g, 'Add', [node(g, 'Mul', [acc, node(g, 'Mul', [xScale, ws])]), bias]);
};
