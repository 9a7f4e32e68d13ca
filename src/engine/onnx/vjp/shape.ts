// Ops that move elements without changing them: the gradient moves back the same way.
import { node } from '../../../export/graph-builder.js';
import { attrInts, inputs } from './attributes.js';
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

export const shapeVjps: Record<string, Vjp> = { Reshape: reshape, Unsqueeze: reshape, Squeeze: reshape, Transpose: transpose };
