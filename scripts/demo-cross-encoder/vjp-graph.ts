// The cross-encoder's training graphs: the inference graph of src/engine/cross-encoder-graph.ts
// with every weight of the folder fed as an input (as engine/onnx/encoder-vjp.ts does for the
// bi-encoder), and the same graph with its backward pass appended by the project's autodiff,
// seeded at the logits. Weights are fed in the graph's layout: Linear weights [in, out]
// (toEngineLayout), the classifier head's too.
//
// Forward outputs: logits [batch, 1]. Backward inputs: the forward's plus d_logits [batch, 1];
// outputs d_<HF name> per weight, in the layout it is fed.
import { buildCrossEncoderGraph } from '../../src/graphs/cross-encoder-graph.js';
import { appendBackward, pruneDeadNodes } from '../../src/onnx/autodiff.js';
import type { CrossEncoderFolder } from '../../src/model/cross-encoder-folder.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { addInput, addOutput, type Graph, node } from '../../src/onnx/graph-builder.js';

export interface CrossEncoderTrainGraph {
  graph: Graph;
  /** Trainable weights: HF name (prefix-free) and the shape it is fed in. */
  params: { name: string; dims: number[] }[];
  /** The folder's weights in the layout they are fed (copies). */
  initial: TensorMap;
}

/** Opset of the training graphs (LayerNormalization is a standard op from 17). */
const OPSET = 18;

/** The inference graph with its weights as plain inputs instead of initializers. */
export function feedableCrossEncoderGraph(ce: CrossEncoderFolder): CrossEncoderTrainGraph {
  const g = buildCrossEncoderGraph(ce, { opset: OPSET });
  const weights = g.initializers.filter((t) => ce.encoder.weights.has(t.name));
  const params = weights.map((t) => ({ name: t.name, dims: t.dims }));
  const initial: TensorMap = new Map(weights.map((t) => [t.name, { shape: t.dims, data: Float32Array.from(t.data as Float32Array) }]));
  // Not initializers listed as inputs too: onnxruntime would keep the initializer's values.
  const fed = new Set(params.map((p) => p.name));
  g.initializers = g.initializers.filter((t) => !fed.has(t.name));
  for (const p of params) addInput(g, p.name, 'float', p.dims);
  g.outputs = g.outputs.filter((o) => o.name === 'logits');
  return { graph: g, params, initial };
}

/** The forward graph plus d(logits) -> d(every weight). */
export function crossEncoderVjpGraph(ce: CrossEncoderFolder): CrossEncoderTrainGraph {
  const { graph: g, params, initial } = feedableCrossEncoderGraph(ce);
  const seed = addInput(g, 'd_logits', 'float', ['batch', 1]);
  const grads = appendBackward(g, { seeds: new Map([['logits', seed]]), wrt: params.map((p) => p.name) });
  g.outputs = [];
  for (const p of params) {
    node(g, 'Identity', [grads.get(p.name)!], {}, `d_${p.name}`);
    addOutput(g, `d_${p.name}`, 'float', p.dims);
  }
  pruneDeadNodes(g);
  return { graph: g, params, initial };
}
