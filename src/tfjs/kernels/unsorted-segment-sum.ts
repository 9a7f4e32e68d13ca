// UnsortedSegmentSum for the wasm backend, which lacks it. tfjs's gradient of `gather` (every
// embedding lookup) is an unsorted segment sum, so training on wasm needs it.
//
//   out[segmentIds[i], ...] += x[i, ...]      x: [N, ...rest], segmentIds: [N], out: [numSegments, ...rest]
//
// Example:
//   tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([1, 0, 1], 'int32'), 2)
//   // -> [[3, 4], [6, 8]]
import { type KernelConfig, type KernelFunc, type TensorInfo, UnsortedSegmentSum } from '@tensorflow/tfjs';

interface WasmLikeBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: ArrayLike<number>): TensorInfo;
}

export function unsortedSegmentSumImpl(x: ArrayLike<number>, xShape: number[], ids: ArrayLike<number>, numSegments: number): Float32Array {
  const inner = xShape.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(numSegments * inner);
  for (let i = 0; i < xShape[0]; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue; // as TensorFlow: out-of-range ids are dropped
    const src = i * inner, dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] += x[src + j];
  }
  return out;
}

const kernelFunc = (({ inputs, attrs, backend }: { inputs: { x: TensorInfo; segmentIds: TensorInfo }; attrs: { numSegments: number }; backend: WasmLikeBackend }) => {
  const { x, segmentIds } = inputs;
  if (segmentIds.shape.length !== 1) throw new Error('UnsortedSegmentSum (wasm): segmentIds must be 1-D');
  const sums = unsortedSegmentSumImpl(backend.readSync(x.dataId), x.shape, backend.readSync(segmentIds.dataId), attrs.numSegments);
  // The backend copies raw bytes, so int32 sums must be stored as int32, not float32 bit patterns.
  const values = x.dtype === 'int32' ? Int32Array.from(sums) : sums;
  return backend.makeOutput([attrs.numSegments, ...x.shape.slice(1)], x.dtype, undefined, values);
}) as unknown as KernelFunc;

export const unsortedSegmentSumWasm: KernelConfig = { kernelName: UnsortedSegmentSum, backendName: 'wasm', kernelFunc };
