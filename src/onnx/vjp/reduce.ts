// Sums, means, norms and maxima over axes: x [...] -> y with those axes removed (keepdims 0) or kept as 1.
import { constFloat, constInt64, type Graph, node, type proto } from '../graph-builder.js';
import { attrInt, attrInts, inputs } from './attributes.js';
import type { Vjp } from './types.js';

/** The reduced axes as a tensor name: the `axes` input (ReduceSum >= 13, all >= 18) or attribute. */
function axesOf(g: Graph, n: proto.INodeProto): string {
  const [, axes] = inputs(n);
  if (axes) return axes;
  const attr = attrInts(n, 'axes');
  if (!attr) throw new Error(`autodiff: ${n.opType} node ${n.name} reduces over all axes; give them explicitly`);
  return constInt64(g, attr);
}

/** dy spread back over x's shape: dx[i] = dy[i with the reduced axes dropped]. */
function spread(g: Graph, n: proto.INodeProto, dy: string): string {
  const kept = attrInt(n, 'keepdims', 1) ? dy : node(g, 'Unsqueeze', [dy, axesOf(g, n)]);
  return node(g, 'Expand', [kept, node(g, 'Shape', [inputs(n)[0]])]);
}

/** y = Σ x over axes: dx = dy broadcast back. */
const reduceSum: Vjp = (g, n, [dy]) => [spread(g, n, dy!), undefined];

/** y = mean of x over axes: dx = dy broadcast back / (count averaged) = · size(y) / size(x). */
const reduceMean: Vjp = (g, n, [dy]) => {
  const size = (t: string) => node(g, 'Cast', [node(g, 'Size', [t])], { to: 1 /* FLOAT */ });
  const ratio = node(g, 'Div', [size(n.output![0]), size(inputs(n)[0])]);
  return [node(g, 'Mul', [spread(g, n, dy!), ratio]), undefined];
};

/**
 * y = √(Σ x²) over axes: dx = x · dy / y, broadcast back. Where y = 0 (x all zeros) dx is 0, as in
 * PyTorch, rather than 0 · ∞: normalising a zero embedding must not give NaN gradients.
 */
const reduceL2: Vjp = (g, n, [dy]) => {
  const y = n.output![0];
  const safe = node(g, 'Where', [node(g, 'Equal', [y, constFloat(g, 0)]), constFloat(g, 1), y]);
  return [node(g, 'Mul', [inputs(n)[0], spread(g, n, node(g, 'Div', [dy!, safe]))]), undefined];
};

/** y = max of x over axes: dx = dy where x equals the maximum, 0 elsewhere (ties are rare in float). */
const reduceMax: Vjp = (g, n, [dy]) => {
  const isMax = node(g, 'Equal', [inputs(n)[0], spread(g, n, n.output![0])]);
  return [node(g, 'Where', [isMax, spread(g, n, dy!), constFloat(g, 0)]), undefined];
};

export const reduceVjps: Record<string, Vjp> = { ReduceSum: reduceSum, ReduceMean: reduceMean, ReduceL2: reduceL2, ReduceMax: reduceMax };
