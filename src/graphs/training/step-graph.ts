// A part of a training micro-batch as one ONNX graph: the encoder once per column (query,
// positive, negatives; the weights shared) on the part's rows, the loss of the whole batch (the
// other rows' embeddings come in as inputs, constants here), and autodiff's backward of all of it.
// One onnxruntime run gives the loss and the weight gradients of the part's rows, where the
// chunked step makes four encoder passes (embed every chunk, then each chunk's backward graph
// recomputes its forward). With the whole batch as one part, that is three passes, as PyTorch
// makes; with k parts, the other parts' embeddings are computed once beforehand (the first part
// needs them), so 3 + (k-1)/k passes for 1/k of the activation memory (src/train/step.ts).
//
// Inputs: per column `<column>/input_ids`, `<column>/attention_mask` (and token_type_ids,
// prompt_length, the dropout masks: the encoder graph's inputs, prefixed) of the part's rows,
// `<column>/before` and `<column>/after` [rows, H] (the embeddings of the batch's rows before and
// after the part's), each weight under its HF name (in-out layout), and for margin_mse
// `teacher_margins` [B, k] (the whole batch's).
// Outputs: `loss`; `<column>/sentence_embedding` (the part's rows); `d_<HF name>` per weight except
// the word table, whose gradient comes per column as `<column>/d_word_embedding_rows`
// [rows, sequence, H] (see WORD_ROWS_GRAD).
import type { ModelFolder } from '../../model/folder.js';
import type { LossConfig } from '../../losses/batch.js';
import { appendBackward, pruneDeadNodes } from '../../onnx/autodiff.js';
import { addInput, addOutput, constFloat, createGraph, type Graph, node, type proto } from '../../onnx/graph-builder.js';
import { appendLoss, columnNames } from './loss-graph.js';
import { feedableEncoderGraph, WORD_ROWS_GRAD, wordEmbeddings } from './encoder-vjp.js';

export interface StepGraph {
  graph: Graph;
  /** The column prefixes, in loss order: query, positive, negative_0, ... */
  columns: string[];
  params: { name: string; dims: number[] }[];
}

/** `<column>/<name>`: an encoder input or output of one column. */
export const columnValue = (column: string, name: string) => `${column}/${name}`;

/**
 * The step graph of `cfg` (cached_mnrl is mnrl) with `numNegatives` negative columns; `dropout`:
 * training mode, a mask input per column and dropout site.
 */
export function buildStepGraph(folder: ModelFolder, cfg: LossConfig, numNegatives: number, { dropout = false } = {}): StepGraph {
  const { graph: encoder, params } = feedableEncoderGraph(folder, { dropout });
  const g = createGraph(encoder.opset);
  // Weights and constants are shared by the columns; every other value is the column's own.
  const shared = new Set([...params.map((p) => p.name), ...encoder.initializers.map((t) => t.name)]);
  g.initializers = encoder.initializers;
  g.constants = new Map(encoder.constants);
  g.counters = new Map(encoder.counters); // fresh names must not take a shared constant's
  g.inputs = encoder.inputs.filter((v) => shared.has(v.name!));
  const table = wordEmbeddings(folder.config);
  const rows = encoder.nodes.find((n) => n.opType === 'Gather' && n.input![0] === table)!.output![0];

  const columns = columnNames(numNegatives);
  for (const [c, column] of columns.entries()) {
    const own = (x: string) => (x === '' || shared.has(x) ? x : columnValue(column, x));
    for (const n of encoder.nodes) g.nodes.push({ ...n, name: own(n.name!), input: n.input!.map(own), output: n.output!.map(own) });
    // Each column has its own sequence length (queries are short).
    for (const v of encoder.inputs.filter((x) => !shared.has(x.name!))) g.inputs.push(renamedInput(v, own(v.name!), c));
  }
  // The batch's other rows come in as embeddings, constants here: [before; own; after] per column.
  const H = folder.config.hiddenSize;
  const full = columns.map((c) => {
    const own = columnValue(c, 'sentence_embedding');
    addOutput(g, own, 'float', ['batch', H]);
    const [before, after] = ['before', 'after'].map((side) => addInput(g, columnValue(c, side), 'float', [`rows_${side}`, H]));
    return node(g, 'Concat', [before, own, after], { axis: 0 });
  });
  const loss = appendLoss(g, cfg.name === 'cached_mnrl' ? { ...cfg, name: 'mnrl' } : cfg, full);
  addOutput(g, loss, 'float', []);
  const dense = params.filter((p) => p.name !== table);
  const wordRows = columns.map((c) => columnValue(c, rows));
  const grads = appendBackward(g, { seeds: new Map([[loss, constFloat(g, 1)]]), wrt: [...dense.map((p) => p.name), ...wordRows] });
  for (const p of dense) addOutput(g, node(g, 'Identity', [grads.get(p.name)!], {}, `d_${p.name}`), 'float', p.dims);
  for (const [c, column] of columns.entries()) {
    addOutput(g, node(g, 'Identity', [grads.get(wordRows[c])!], {}, columnValue(column, WORD_ROWS_GRAD)), 'float', ['batch', `sequence_${c}`, folder.config.hiddenSize]);
  }
  pruneDeadNodes(g);
  return { graph: g, columns, params };
}

/** An encoder input under its column's name, its sequence axis named for the column. */
function renamedInput(v: proto.IValueInfoProto, name: string, column: number): proto.IValueInfoProto {
  const t = v.type!.tensorType!;
  const dim = t.shape!.dim!.map((d) => (d.dimParam === 'sequence' ? { dimParam: `sequence_${column}` } : d));
  return { name, type: { tensorType: { elemType: t.elemType, shape: { dim } } } };
}
