// The training losses on sentence embeddings as an ONNX graph that carries its own backward pass:
// inputs `query`, `positive`, `negative_<j>` [rows, H] (and `teacher_margins` [rows, k] for
// margin_mse), outputs `loss` (scalar) and `d_<input>` [rows, H] = dloss/d(input). The maths is
// that of src/losses/mnrl.ts and margin-mse.ts, written in standard ops and differentiated by
// autodiff.ts, so the onnxruntime engine computes the whole step in ONNX.
import { addInput, addOutput, constFloat, constInt64, createGraph, type Graph, node, reduce } from '../../onnx/graph-builder.js';
import type { LossConfig } from '../../losses/batch.js';
import { appendBackward } from './autodiff.js';

const OPSET = 18;

/** The embedding inputs in column order: query, positive, then one per negative slot. */
export function columnNames(numNegatives: number): string[] {
  return ['query', 'positive', ...Array.from({ length: numNegatives }, (_, j) => `negative_${j}`)];
}

/** Row-wise x / max(‖x‖₂, 1e-12), as torch.nn.functional.normalize: [n, H] -> [n, H]. */
function normalizeRows(g: Graph, x: string): string {
  return node(g, 'Div', [x, node(g, 'Max', [reduce(g, 'ReduceL2', x, [1], true), constFloat(g, 1e-12)])]);
}

/** Mean over rows i of −log softmax(logits_i)[i]: logits [B, C >= B] -> scalar. */
function diagonalCrossEntropy(g: Graph, logits: string): string {
  const logp = node(g, 'LogSoftmax', [logits], { axis: 1 });
  const targets = node(g, 'EyeLike', [logits]); // one-hot of row i at column i
  const diagonal = reduce(g, 'ReduceSum', node(g, 'Mul', [targets, logp]), [1], false); // [B]
  return node(g, 'Neg', [reduce(g, 'ReduceMean', diagonal, [0], false)]);
}

/** MNRL over candidates [positives; negatives per slot]; symmetric adds the positive → query direction. */
function mnrl(g: Graph, [query, ...candidates]: string[], scale: number, symmetric: boolean): string {
  const q = normalizeRows(g, query);
  const c = normalizeRows(g, node(g, 'Concat', candidates, { axis: 0 })); // [(1+k)B, H]
  const scores = node(g, 'Mul', [node(g, 'MatMul', [q, node(g, 'Transpose', [c], { perm: [1, 0] })]), constFloat(g, scale)]); // [B, (1+k)B]
  const forward = diagonalCrossEntropy(g, scores);
  if (!symmetric) return forward;
  const rows = node(g, 'Shape', [query], { start: 0, end: 1 }); // [1]: B
  const block = node(g, 'Slice', [scores, constInt64(g, [0]), rows, constInt64(g, [1])]); // [B, B]: query × positive
  const backward = diagonalCrossEntropy(g, node(g, 'Transpose', [block], { perm: [1, 0] }));
  return node(g, 'Div', [node(g, 'Add', [forward, backward]), constFloat(g, 2)]);
}

/** MarginMSE: mean over [B, k] of ((q·p − q·n_j) − margin_j)². */
function marginMse(g: Graph, [query, positive, ...negatives]: string[], margins: string): string {
  const dot = (x: string) => reduce(g, 'ReduceSum', node(g, 'Mul', [query, x]), [1], true); // [B, 1]
  const student = node(g, 'Sub', [dot(positive), node(g, 'Concat', negatives.map(dot), { axis: 1 })]); // [B, k]
  const diff = node(g, 'Sub', [student, margins]);
  return reduce(g, 'ReduceMean', node(g, 'Mul', [diff, diff]), [0, 1], false);
}

/**
 * The loss graph for `cfg` (cached_mnrl is mnrl: caching only changes how the encoder runs) with
 * `numNegatives` negative columns of embeddings of size `hidden`; the row count is dynamic.
 */
export function buildLossGraph(cfg: LossConfig, numNegatives: number, hidden: number): Graph {
  if (cfg.name === 'margin_mse' && numNegatives < 1) throw new Error('margin_mse needs at least one negative per query (data.num_negatives >= 1)');
  const g = createGraph(OPSET);
  const columns = columnNames(numNegatives).map((name) => addInput(g, name, 'float', ['rows', hidden]));
  const value = cfg.name === 'margin_mse'
    ? marginMse(g, columns, addInput(g, 'teacher_margins', 'float', ['rows', numNegatives]))
    : mnrl(g, columns, cfg.scale, cfg.symmetric);
  const loss = node(g, 'Identity', [value], {}, 'loss');
  addOutput(g, loss, 'float', []);
  const grads = appendBackward(g, { seeds: new Map([[loss, constFloat(g, 1)]]), wrt: columns });
  for (const c of columns) addOutput(g, node(g, 'Identity', [grads.get(c)!], {}, `d_${c}`), 'float', ['rows', hidden]);
  return g;
}
