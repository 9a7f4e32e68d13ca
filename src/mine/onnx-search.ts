// Exact dense search on onnxruntime: a two-node graph (Gemm of the query chunk with a block of
// corpus rows, then TopK) run block by block over the corpus matrix, its per-block best merged
// into a running top-k per query. Multithreaded SIMD matrix products instead of a JavaScript loop
// (searchDense in dense.ts, kept as the reference the tests compare with); the score matrix held
// at a time is one query chunk x one block (256 x 32,768 floats: 32 MB).
import type * as ort from 'onnxruntime-node';
import { createSession } from '../graphs/onnx-encoder.js';
import { addInput, addOutput, createGraph, nodeN } from '../onnx/graph-builder.js';
import { DEFAULT_OPSET, encodeOnnxModel } from '../onnx/onnx-file.js';
import { offer, ranked, topK } from '../eval/top-k.js';
import type { EmbeddingMatrix } from './dense.js';

const BLOCK_ROWS = 32_768;

export interface DenseSearcher {
  /** For each (unit-length) query, its k best rows: score desc, then lower row. */
  search(queries: Float32Array[], k: number): Promise<{ index: number; score: number }[][]>;
  release(): Promise<void>;
}

/** scores = queries x block^T, then the k best of each row (values and indices). */
function searchGraph(): Uint8Array {
  const g = createGraph(DEFAULT_OPSET);
  const q = addInput(g, 'queries', 'float', ['q', 'dim']);
  const c = addInput(g, 'block', 'float', ['rows', 'dim']);
  const k = addInput(g, 'k', 'int64', [1]);
  const [scores] = nodeN(g, 'Gemm', [q, c], ['scores'], { transB: 1 });
  nodeN(g, 'TopK', [scores, k], ['values', 'indices'], { axis: 1, largest: 1, sorted: 1 });
  addOutput(g, 'values', 'float', ['q', 'k']);
  addOutput(g, 'indices', 'int64', ['q', 'k']);
  return encodeOnnxModel(g, 'dense search');
}

export async function openOnnxSearch(m: EmbeddingMatrix): Promise<DenseSearcher> {
  const ortModule = await import('onnxruntime-node');
  const session = await createSession(searchGraph(), 'the dense search graph');
  const tensor = (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: number[]): ort.Tensor => new ortModule.Tensor(type, data, dims);
  return {
    async search(queries, k) {
      const tops = queries.map(() => topK(Math.min(k, m.count)));
      if (queries.length === 0 || k === 0) return tops.map(ranked);
      const qData = new Float32Array(queries.length * m.dim);
      queries.forEach((v, i) => qData.set(v, i * m.dim));
      const qTensor = tensor('float32', qData, [queries.length, m.dim]);
      for (let start = 0; start < m.count; start += BLOCK_ROWS) {
        const rows = Math.min(BLOCK_ROWS, m.count - start);
        const kb = Math.min(k, rows);
        const block = m.data.subarray(start * m.dim, (start + rows) * m.dim);
        const out = await session.run({
          queries: qTensor,
          block: tensor('float32', block, [rows, m.dim]),
          k: tensor('int64', BigInt64Array.of(BigInt(kb)), [1]),
        });
        const values = out.values.data as Float32Array;
        const indices = out.indices.data as BigInt64Array;
        for (let q = 0; q < queries.length; q++)
          for (let j = 0; j < kb; j++) offer(tops[q], values[q * kb + j], start + Number(indices[q * kb + j]));
      }
      return tops.map(ranked);
    },
    release: () => session.release(),
  };
}
