// Binary elementwise ops with broadcasting, and pass-throughs. y = f(a, b), all of y's shape
// [...]; a and b broadcast to it, so their gradients are unbroadcast back (unbroadcast.ts).
import { constFloat, node } from '../../../export/graph-builder.js';
import { inputs, output } from './attributes.js';
import type { Vjp } from './types.js';
import { unbroadcast } from './unbroadcast.js';

/** y = a + b: da = dy, db = dy. */
const add: Vjp = (g, n, [dy]) => inputs(n).map((x) => unbroadcast(g, dy!, x));

/** y = a - b: da = dy, db = -dy. */
const sub: Vjp = (g, n, [dy]) => {
  const [a, b] = inputs(n);
  return [unbroadcast(g, dy!, a), unbroadcast(g, node(g, 'Neg', [dy!]), b)];
};

/** y = a * b: da = dy * b, db = dy * a. */
const mul: Vjp = (g, n, [dy]) => {
  const [a, b] = inputs(n);
  return [unbroadcast(g, node(g, 'Mul', [dy!, b]), a), unbroadcast(g, node(g, 'Mul', [dy!, a]), b)];
};

/** y = a / b: da = dy / b, db = -dy * y / b. */
const div: Vjp = (g, n, [dy]) => {
  const [a, b] = inputs(n);
  const da = node(g, 'Div', [dy!, b]);
  const db = node(g, 'Neg', [node(g, 'Mul', [da, output(n)])]);
  return [unbroadcast(g, da, a), unbroadcast(g, db, b)];
};

/** y = c ? a : b: da = c ? dy : 0, db = c ? 0 : dy; the condition has no gradient. */
const where: Vjp = (g, n, [dy]) => {
  const [c, a, b] = inputs(n);
  const zero = constFloat(g, 0);
  return [undefined, unbroadcast(g, node(g, 'Where', [c, dy!, zero]), a), unbroadcast(g, node(g, 'Where', [c, zero, dy!]), b)];
};

/** y = max(a, b): the gradient goes to the larger operand (to a on ties). */
const max: Vjp = (g, n, [dy]) => {
  const [a, b] = inputs(n);
  const aWins = node(g, 'GreaterOrEqual', [a, b]);
  const zero = constFloat(g, 0);
  return [unbroadcast(g, node(g, 'Where', [aWins, dy!, zero]), a), unbroadcast(g, node(g, 'Where', [aWins, zero, dy!]), b)];
};

/** y = x (Identity, and float-to-float Cast): dx = dy. */
const identity: Vjp = (_g, _n, [dy]) => [dy];

export const elementwiseVjps: Record<string, Vjp> = { Add: add, Sub: sub, Mul: mul, Div: div, Where: where, Max: max, Identity: identity, Cast: identity };
