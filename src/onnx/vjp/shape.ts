// Ops that move elements without changing them: the gradient moves back the same way.
import { constInt64, node, nodeN } from '../graph-builder.js';
import { attrInt, attrInts, inputs } from './attributes.js';
import type { Vjp } from './types.js';

/** Reshape / Unsqueeze / Squeeze: y is x with another shape, so dx = dy reshaped to x's shape. */
const reshape: Vjp = (g, n, [dy]) => {
  const [x, ...rest] = inputs(n);
  return [node(g, 'Reshape', [dy!, node(g, 'Shape', [x])]), ...rest.map(() => undefined)];
};

/** y = transpose(x, perm): dx = transpose(dy, perm⁻¹). */
const transpose: Vjp = (g, n, [dy]) => {
  const perm = attrInts(n, 'perm');
  if (!perm) throw new Error(`autodiff: Transpose node ${n.name} needs an explicit perm`);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [node(g, 'Transpose', [dy!], { perm: inverse })];
};

/** y = concat(x₁..xₙ) along `axis`: dxᵢ is the part of dy that xᵢ filled (sizes known at run time). */
const concat: Vjp = (g, n, [dy]) => {
  const xs = inputs(n);
  const axis = attrInt(n, 'axis', 0);
  const sizes = node(g, 'Concat', xs.map((x) => node(g, 'Gather', [node(g, 'Shape', [x]), constInt64(g, [axis])])), { axis: 0 }); // [n]
  return nodeN(g, 'Split', [dy!, sizes], xs.length, { axis });
};

export const shapeVjps: Record<string, Vjp> = { Reshape: reshape, Unsqueeze: reshape, Squeeze: reshape, Transpose: transpose, Concat: concat };
