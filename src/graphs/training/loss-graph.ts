// The training losses on sentence embeddings as an ONNX graph that carries its own backward pass:
// inputs `query`, `positive`, `negative_<j>` [rows, H] (and `teacher_margins` [rows, k] for
// margin_mse), outputs `loss` (scalar) and `d_<input>` [rows, H] = dloss/d(input). Each loss is
// written once, here, in standard ops, and differentiated by autodiff.ts; every training engine
// takes its gradients of the embeddings from this graph (src/train/step.ts).
import { addInput, addOutput, constFloat, constInt64, createGraph, type Graph, node, reduce } from '../../onnx/graph-builder.js';
import type { LossConfig } from '../../losses/batch.js';
import { appendBackward } from '../../onnx/autodiff.js';

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

/**
 * MultipleNegativesRankingLoss (InfoNCE with in-batch negatives), as sentence-transformers'
 * `MultipleNegativesRankingLoss` (Henderson et al. 2017, "Efficient Natural Language Response
 * Suggestion for Smart Reply"; van den Oord et al. 2018). For B queries q_i and candidates
 * c = [p_1..p_B, n_1^1..n_B^1, ..., n_1^k..n_B^k] ((1+k)·B rows):
 *
 *   s_ij = scale · cos(q_i, c_j)
 *   L    = −(1/B) Σ_i log softmax_j(s_i·)[i]         (the target of q_i is its own positive p_i)
 *
 * `symmetric` adds the positive → query direction over the B×B block (ST's
 * MultipleNegativesSymmetricRankingLoss): L = (L_q→c + L_p→q) / 2. CachedMultipleNegativesRankingLoss
 * (GradCache) is this loss too: only how the encoder runs changes (src/train/step.ts).
 */
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

/**
 * MarginMSE distillation loss (Hofstätter et al. 2020, "Improving Efficient Neural Ranking Models
 * with Cross-Architecture Knowledge Distillation"), as sentence-transformers' `MarginMSELoss`
 * (dot-product similarity), with teacher margins m_ij = s_p − s_nj:
 *
 *   L = mean_{i,j} ( (q_i·p_i − q_i·n_ij) − m_ij )²
 */
function marginMse(g: Graph, [query, positive, ...negatives]: string[], margins: string): string {
  const dot = (x: string) => reduce(g, 'ReduceSum', node(g, 'Mul', [query, x]), [1], true); // [B, 1]
  const student = node(g, 'Sub', [dot(positive), node(g, 'Concat', negatives.map(dot), { axis: 1 })]); // [B, k]
  const diff = node(g, 'Sub', [student, margins]);
  return reduce(g, 'ReduceMean', node(g, 'Mul', [diff, diff]), [0, 1], false);
}

/**
 * Append `cfg`'s loss of the column embeddings `columns` (query, positive, negatives) to `g`, as
 * the scalar `loss`; margin_mse reads the input `teacher_margins` [rows, k], added here.
 */
export function appendLoss(g: Graph, cfg: LossConfig, columns: string[]): string {
  if (cfg.name === 'margin_mse' && columns.length < 3) throw new Error('margin_mse needs at least one negative per query (data.num_negatives >= 1)');
  const value = cfg.name === 'margin_mse'
    ? marginMse(g, columns, addInput(g, 'teacher_margins', 'float', ['rows', columns.length - 2]))
    : mnrl(g, columns, cfg.scale, cfg.symmetric);
  return node(g, 'Identity', [value], {}, 'loss');
}

/**
 * The loss graph for `cfg` (cached_mnrl is mnrl: caching only changes how the encoder runs) with
 * `numNegatives` negative columns of embeddings of size `hidden`; the row count is dynamic.
 */
export function buildLossGraph(cfg: LossConfig, numNegatives: number, hidden: number): Graph {
  const g = createGraph(OPSET);
  const columns = columnNames(numNegatives).map((name) => addInput(g, name, 'float', ['rows', hidden]));
  const loss = appendLoss(g, cfg, columns);
  addOutput(g, loss, 'float', []);
  const grads = appendBackward(g, { seeds: new Map([[loss, constFloat(g, 1)]]), wrt: columns });
  for (const c of columns) addOutput(g, node(g, 'Identity', [grads.get(c)!], {}, `d_${c}`), 'float', ['rows', hidden]);
  return g;
}
