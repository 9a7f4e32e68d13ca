// Unary elementwise maths: x and y of one shape [...].
import { constFloat, node } from '../graph-builder.js';
import { inputs, output } from './attributes.js';
import type { Vjp } from './types.js';

/** y = erf(x): dx = dy * 2/√π * exp(-x²). */
const erf: Vjp = (g, n, [dy]) => {
  const [x] = inputs(n);
  const gauss = node(g, 'Exp', [node(g, 'Neg', [node(g, 'Mul', [x, x])])]);
  return [node(g, 'Mul', [dy!, node(g, 'Mul', [gauss, constFloat(g, 2 / Math.sqrt(Math.PI))])])];
};

/** y = tanh(x): dx = dy * (1 - y²). */
const tanh: Vjp = (g, n, [dy]) => {
  const y = output(n);
  return [node(g, 'Mul', [dy!, node(g, 'Sub', [constFloat(g, 1), node(g, 'Mul', [y, y])])])];
};

/** y = √x: dx = dy / (2y). */
const sqrt: Vjp = (g, n, [dy]) => [node(g, 'Div', [dy!, node(g, 'Mul', [output(n), constFloat(g, 2)])])];

/** y = xᵖ with p a graph constant (no gradient for it): dx = dy * p * xᵖ⁻¹. */
const pow: Vjp = (g, n, [dy]) => {
  const [x, p] = inputs(n);
  const pm1 = node(g, 'Sub', [p, constFloat(g, 1)]);
  return [node(g, 'Mul', [dy!, node(g, 'Mul', [p, node(g, 'Pow', [x, pm1])])]), undefined];
};

/** y = -x: dx = -dy. */
const neg: Vjp = (g, _n, [dy]) => [node(g, 'Neg', [dy!])];

export const unaryVjps: Record<string, Vjp> = { Erf: erf, Tanh: tanh, Sqrt: sqrt, Pow: pow, Neg: neg };
