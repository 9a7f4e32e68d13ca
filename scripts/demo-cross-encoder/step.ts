// One training step of a cross-encoder on onnxruntime: the forward graph gives the logits, the
// host takes binary cross-entropy and d(logits) (bce.ts), the backward graph (vjp-graph.ts) gives
// every weight's gradient. Weights are fed each run from `weights`, which the optimizer updates in
// place; gradients come back in the same (fed) layout.
import * as ort from 'onnxruntime-node';
import type { CrossEncoderFolder } from '../../src/model/cross-encoder-folder.js';
import type { EncodedPair } from '../../src/model/pair-tokenizer.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { encodeOnnxModel } from '../../src/onnx/onnx-file.js';
import { bceWithLogits } from './bce.js';
import { crossEncoderVjpGraph, feedableCrossEncoderGraph } from './vjp-graph.js';

export interface LabeledBatch {
  pairs: EncodedPair[];
  /** 1 for a relevant document, 0 for a negative. */
  labels: number[];
}

export interface CrossEncoderTrainer {
  /** The trainable weights by HF name, in the fed layout (Linear weights [in, out]). */
  weights: TensorMap;
  logits(pairs: EncodedPair[]): Promise<Float32Array>;
  lossAndGradients(batch: LabeledBatch): Promise<{ loss: number; grads: TensorMap }>;
  release(): Promise<void>;
}

/** `threads`: onnxruntime's intra-op threads, fixed so a run gives the same bytes on any machine with the same kernels. */
export async function openTrainer(ce: CrossEncoderFolder, padId: number, threads = 1): Promise<CrossEncoderTrainer> {
  const forwardGraph = feedableCrossEncoderGraph(ce);
  const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
  const open = (g: typeof forwardGraph) => ort.InferenceSession.create(encodeOnnxModel(g.graph, ce.encoder.dir), options);
  const [forward, backward] = await Promise.all([open(forwardGraph), open(crossEncoderVjpGraph(ce))]);
  const weights = forwardGraph.initial;
  const withTypes = forward.inputNames.includes('token_type_ids');

  /** Token inputs of a padded batch (right padding, as the product's predict). */
  const tokenFeeds = (pairs: EncodedPair[]): Record<string, ort.Tensor> => {
    const len = Math.max(1, ...pairs.map((p) => p.ids.length));
    const ids = new BigInt64Array(pairs.length * len).fill(BigInt(padId));
    const mask = new BigInt64Array(pairs.length * len), types = new BigInt64Array(pairs.length * len);
    pairs.forEach((p, i) => p.ids.forEach((id, t) => {
      ids[i * len + t] = BigInt(id);
      mask[i * len + t] = 1n;
      types[i * len + t] = BigInt(p.typeIds[t]);
    }));
    const dims = [pairs.length, len];
    const f: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, dims), attention_mask: new ort.Tensor('int64', mask, dims) };
    if (withTypes) f.token_type_ids = new ort.Tensor('int64', types, dims);
    return f;
  };
  const weightFeeds = () => Object.fromEntries([...weights].map(([n, w]) => [n, new ort.Tensor('float32', w.data, w.shape)]));

  const logits = async (pairs: EncodedPair[]) => (await forward.run({ ...tokenFeeds(pairs), ...weightFeeds() }, ['logits'])).logits.data as Float32Array;

  const lossAndGradients = async (batch: LabeledBatch) => {
    const feeds = { ...tokenFeeds(batch.pairs), ...weightFeeds() };
    const z = (await forward.run(feeds, ['logits'])).logits.data as Float32Array;
    const { loss, dLogits } = bceWithLogits(z, batch.labels);
    const out = await backward.run({ ...feeds, d_logits: new ort.Tensor('float32', dLogits, [z.length, 1]) });
    const grads: TensorMap = new Map([...weights].map(([n, w]) => [n, { shape: w.shape, data: out[`d_${n}`].data as Float32Array }]));
    return { loss, grads };
  };

  return { weights, logits, lossAndGradients, release: async () => void (await Promise.all([forward.release(), backward.release()])) };
}
