// MPNet's relative position buckets as the graph computes them (float32, from the shape) against
// transformers' relative_position_bucket written out in float64 here, for sequences longer than
// the fixtures' 64 tokens: every distance up to 299, both directions, the bucket edges at 8, 16,
// 32, 64 and the cap at 128 included.
import * as ort from 'onnxruntime-node';
import { expect, it } from 'vitest';
import { mpnetBuckets } from '../../src/graphs/encoder-graph.js';
import { addInput, addOutput, createGraph, node } from '../../src/onnx/graph-builder.js';
import { encodeOnnxModel } from '../../src/onnx/onnx-file.js';

/** transformers' MPNetEncoder.relative_position_bucket(memory - context), num_buckets 32, max_distance 128. */
function bucket(relative: number): number {
  const n = -relative;
  let ret = n < 0 ? 16 : 0;
  const a = Math.abs(n);
  if (a < 8) return ret + a;
  ret += Math.min(8 + Math.trunc((Math.log(a / 8) / Math.log(128 / 8)) * 8), 15);
  return ret;
}

it('buckets of a 300-token sequence equal transformers\' relative_position_bucket', async () => {
  const g = createGraph(17);
  const ids = addInput(g, 'input_ids', 'int64', ['batch', 'sequence']);
  node(g, 'Identity', [mpnetBuckets(g, ids)], {}, 'buckets');
  addOutput(g, 'buckets', 'int64', ['sequence', 'sequence']);
  const session = await ort.InferenceSession.create(encodeOnnxModel(g, 'buckets'));
  const L = 300;
  const out = await session.run({ input_ids: new ort.Tensor('int64', new BigInt64Array(2 * L), [2, L]) });
  const got = Array.from(out.buckets.data as BigInt64Array, Number);
  expect(out.buckets.dims).toEqual([L, L]);
  const want = Array.from({ length: L * L }, (_, k) => bucket((k % L) - Math.floor(k / L)));
  expect(got).toEqual(want);
  // The edges, by hand: distance 7 -> 7, 8 -> 8, 15 -> 9, 16 -> 10, 32 -> 12, 64 -> 14, 127 and 128 -> 15; keys after the query use the upper half.
  expect([7, 8, 15, 16, 31, 32, 64, 127, 128, 299].map((d) => got[d * L])).toEqual([7, 8, 9, 10, 11, 12, 14, 15, 15, 15]);
  expect([1, 16, 299].map((d) => got[d])).toEqual([17, 26, 31]);
  await session.release();
});
