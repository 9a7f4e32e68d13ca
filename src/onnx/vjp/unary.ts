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

/**
 * y = Gelu(x) (opset 20), computed again from x alone, so the backward keeps x and not the
 * intermediates of a composite GELU:
 *   exact:  y = x Φ(x),  Φ(x) = (1 + erf(x/√2)) / 2:     dx = dy * (Φ(x) + x e^(-x²/2) / √(2π))
 *   tanh:   y = x (1 + t) / 2,  t = tanh(u),  u = √(2/π) (x + 0.044715 x³):
 *           dx = dy * ((1 + t) / 2 + x (1 - t²) √(2/π) (1 + 3·0.044715 x²) / 2)
 */
const gelu: Vjp = (g, n, [dy]) => {
  const [x] = inputs(n);
  const approximate = n.attribute?.find((a) => a.name === 'approximate')?.s;
  const half = constFloat(g, 0.5);
  let slope: string;
  if (approximate && new TextDecoder().decode(approximate) === 'tanh') {
    const x2 = node(g, 'Mul', [x, x]);
    const u = node(g, 'Mul', [node(g, 'Mul', [x, node(g, 'Add', [constFloat(g, 1), node(g, 'Mul', [x2, constFloat(g, 0.044715)])])]), constFloat(g, Math.sqrt(2 / Math.PI))]);
    const t = node(g, 'Tanh', [u]);
    const du = node(g, 'Mul', [node(g, 'Add', [constFloat(g, 1), node(g, 'Mul', [x2, constFloat(g, 3 * 0.044715)])]), constFloat(g, Math.sqrt(2 / Math.PI))]);
    const dt = node(g, 'Mul', [node(g, 'Sub', [constFloat(g, 1), node(g, 'Mul', [t, t])]), du]);
    slope = node(g, 'Mul', [node(g, 'Add', [node(g, 'Add', [constFloat(g, 1), t]), node(g, 'Mul', [x, dt])]), half]);
  } else {
    const cdf = node(g, 'Mul', [node(g, 'Add', [node(g, 'Erf', [node(g, 'Mul', [x, constFloat(g, Math.SQRT1_2)])]), constFloat(g, 1)]), half]);
    const pdf = node(g, 'Mul', [node(g, 'Exp', [node(g, 'Mul', [node(g, 'Mul', [x, x]), constFloat(g, -0.5)])]), constFloat(g, 1 / Math.sqrt(2 * Math.PI))]);
    slope = node(g, 'Add', [cdf, node(g, 'Mul', [x, pdf])]);
  }
  return [node(g, 'Mul', [dy!, slope])];
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

export const unaryVjps: Record<string, Vjp> = { Erf: erf, Gelu: gelu, Tanh: tanh, Sqrt: sqrt, Pow: pow, Neg: neg };
