// Binary elementwise ops with broadcasting, and pass-throughs. y = f(a, b), all of y's shape
// [...]; a and b broadcast to it, so their gradients are unbroadcast back (unbroadcast.ts).
import { constFloat, type Graph, node, type proto } from '../graph-builder.js';
import type { Shape } from '../shapes.js';
import { inputs, output } from './attributes.js';
import type { Vjp } from './types.js';
import { unbroadcast } from './unbroadcast.js';

/** The gradient `d` (y's shape) summed down to input x's shape. */
const toInput = (g: Graph, n: proto.INodeProto, d: string, x: string, shapes: Map<string, Shape>) => unbroadcast(g, d, x, shapes.get(output(n)), shapes.get(x));

/** y = a + b: da = dy, db = dy. */
const add: Vjp = (g, n, [dy], s) => inputs(n).map((x) => toInput(g, n, dy!, x, s));

/** y = a - b: da = dy, db = -dy. */
const sub: Vjp = (g, n, [dy], s) => {
  const [a, b] = inputs(n);
  return [toInput(g, n, dy!, a, s), toInput(g, n, node(g, 'Neg', [dy!]), b, s)];
};

/** y = a * b: da = dy * b, db = dy * a. */
const mul: Vjp = (g, n, [dy], s) => {
  const [a, b] = inputs(n);
  return [toInput(g, n, node(g, 'Mul', [dy!, b]), a, s), toInput(g, n, node(g, 'Mul', [dy!, a]), b, s)];
};

/** y = a / b: da = dy / b, db = -dy * y / b. */
const div: Vjp = (g, n, [dy], s) => {
  const [a, b] = inputs(n);
  const da = node(g, 'Div', [dy!, b]);
  const db = node(g, 'Neg', [node(g, 'Mul', [da, output(n)])]);
  return [toInput(g, n, da, a, s), toInput(g, n, db, b, s)];
};

/** y = c ? a : b: da = c ? dy : 0, db = c ? 0 : dy; the condition has no gradient. */
const where: Vjp = (g, n, [dy], s) => {
  const [c, a, b] = inputs(n);
  const zero = constFloat(g, 0);
  return [undefined, toInput(g, n, node(g, 'Where', [c, dy!, zero]), a, s), toInput(g, n, node(g, 'Where', [c, zero, dy!]), b, s)];
};

/** y = max(a, b): the gradient goes to the larger operand (to a on ties). */
const max: Vjp = (g, n, [dy], s) => {
  const [a, b] = inputs(n);
  const aWins = node(g, 'GreaterOrEqual', [a, b]);
  const zero = constFloat(g, 0);
  return [toInput(g, n, node(g, 'Where', [aWins, dy!, zero]), a, s), toInput(g, n, node(g, 'Where', [aWins, zero, dy!]), b, s)];
};

/** y = x (Identity, and float-to-float Cast): dx = dy. */
const identity: Vjp = (_g, _n, [dy]) => [dy];

export const elementwiseVjps: Record<string, Vjp> = { Add: add, Sub: sub, Mul: mul, Div: div, Where: where, Max: max, Identity: identity, Cast: identity };
