// The encoder's backward graph: the forward encoder (export/encoder-graph.ts) with every trainable
// weight fed as an input and the gradient of sentence_embedding given, differentiated by
// autodiff.ts. Losses are computed outside on the small [rows, H] embeddings, so one graph serves
// every loss (and GradCache: embed without gradients, then backpropagate per mini-batch).
//
// Inputs: input_ids, attention_mask(, token_type_ids) int64 [batch, sequence]; each weight under
// its HF name in the graph's layout (Linear weights [in, out], see toEngineLayout);
// d_sentence_embedding float [batch, hidden]; in training mode (`dropout`), a mask per dropout site
// (export/encoder-graph.ts dropoutSites), fed, not differentiated.
// Outputs: `d_<HF name>` per weight, in HF layout (Linear weights [out, in]).
import { buildEncoderGraph } from '../../export/encoder-graph.js';
import { addInput, addOutput, type Graph, node } from '../../export/graph-builder.js';
import { isLinearWeight } from '../../model/dense.js';
import type { ModelFolder } from '../../model/folder.js';
import { appendBackward } from './autodiff.js';

export interface EncoderVjpGraph {
  graph: Graph;
  /** Trainable weights: HF name and the shape it is fed in (graph layout). */
  params: { name: string; dims: number[] }[];
}

export interface EncoderGraphOptions {
  opset?: number;
  /** Training mode: dropout masks as inputs. */
  dropout?: boolean;
}

/** The forward encoder with its weights graph inputs instead of initializers. */
export function feedableEncoderGraph(folder: ModelFolder, { opset = 18, dropout = false }: EncoderGraphOptions = {}): EncoderVjpGraph {
  const g = buildEncoderGraph(folder, { opset, dropout });
  const params = g.initializers.filter((t) => folder.weights.has(t.name)).map((t) => ({ name: t.name, dims: t.dims }));
  // Plain inputs, not initializers listed as inputs too: onnxruntime would keep using the
  // initializer's values and ignore the fed ones.
  const fed = new Set(params.map((p) => p.name));
  g.initializers = g.initializers.filter((t) => !fed.has(t.name));
  for (const p of params) addInput(g, p.name, 'float', p.dims);
  return { graph: g, params };
}

export function buildEncoderVjpGraph(folder: ModelFolder, opts: EncoderGraphOptions = {}): EncoderVjpGraph {
  const { graph: g, params } = feedableEncoderGraph(folder, opts);
  const hidden = folder.config.hiddenSize;
  const seed = addInput(g, 'd_sentence_embedding', 'float', ['batch', hidden]);
  const grads = appendBackward(g, { seeds: new Map([['sentence_embedding', seed]]), wrt: params.map((p) => p.name) });
  g.outputs = [];
  for (const p of params) {
    const hfLayout = isLinearWeight(p.name) ? node(g, 'Transpose', [grads.get(p.name)!], { perm: [1, 0] }) : grads.get(p.name)!;
    node(g, 'Identity', [hfLayout], {}, `d_${p.name}`);
    addOutput(g, `d_${p.name}`, 'float', isLinearWeight(p.name) ? [...p.dims].reverse() : p.dims);
  }
  return { graph: g, params };
}
