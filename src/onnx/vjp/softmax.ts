// Softmax and LogSoftmax along one axis (opset >= 13 semantics): x, y [...]; softmax rows along
// `axis` sum to 1.
import { constInt64, node } from '../graph-builder.js';
import { attrInt, output } from './attributes.js';
import type { Vjp } from './types.js';

/** dx = y * (dy - Σ_axis dy * y): the Jacobian diag(y) - y yᵀ applied row by row. */
const softmax: Vjp = (g, n, [dy]) => {
  const y = output(n);
  const dot = node(g, 'ReduceSum', [node(g, 'Mul', [dy!, y]), constInt64(g, [attrInt(n, 'axis', -1)])], { keepdims: 1 });
  return [node(g, 'Mul', [y, node(g, 'Sub', [dy!, dot])])];
};

/** y = x - log Σ_axis eˣ: dx = dy - softmax(x) * Σ_axis dy, with softmax(x) = eʸ. */
const logSoftmax: Vjp = (g, n, [dy]) => {
  const total = node(g, 'ReduceSum', [dy!, constInt64(g, [attrInt(n, 'axis', -1)])], { keepdims: 1 });
  return [node(g, 'Sub', [dy!, node(g, 'Mul', [node(g, 'Exp', [output(n)]), total])])];
};

export const softmaxVjps: Record<string, Vjp> = { Softmax: softmax, LogSoftmax: logSoftmax };
