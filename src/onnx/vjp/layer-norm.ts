// LayerNormalization over the last axis: x [..., H], γ, β [H] -> y = x̂ γ + β with
// x̂ = (x - μ) / σ, μ and σ² the mean and variance over H, σ = √(σ² + ε).
import { constFloat, constInt64, node } from '../graph-builder.js';
import { attrInt, inputs } from './attributes.js';
import type { Vjp } from './types.js';
import { unbroadcast } from './unbroadcast.js';

/**
 * dβ = Σ dy, dγ = Σ dy x̂ (over the leading dims); with d = dy γ,
 * dx = (d - mean(d) - x̂ mean(d x̂)) / σ. x̂ and 1/σ are recomputed from x (cheap, [..., H]).
 */
const layerNorm: Vjp = (g, n, [dy], shapes) => {
  const [x, gamma, beta] = inputs(n);
  if (attrInt(n, 'axis', -1) !== -1) throw new Error(`autodiff: LayerNormalization node ${n.name}: only axis -1 is differentiable`);
  const epsAttr = n.attribute?.find((a) => a.name === 'epsilon');
  const eps = epsAttr?.f ?? 1e-5;
  const last = constInt64(g, [-1]);
  const mean = (t: string) => node(g, 'ReduceMean', [t, last], { keepdims: 1 });
  const centred = node(g, 'Sub', [x, mean(x)]);
  const rstd = node(g, 'Reciprocal', [node(g, 'Sqrt', [node(g, 'Add', [mean(node(g, 'Mul', [centred, centred])), constFloat(g, eps)])])]);
  const xhat = node(g, 'Mul', [centred, rstd]);
  const d = node(g, 'Mul', [dy!, gamma]);
  const dx = node(g, 'Mul', [node(g, 'Sub', [node(g, 'Sub', [d, mean(d)]), node(g, 'Mul', [xhat, mean(node(g, 'Mul', [d, xhat]))])]), rstd]);
  const y = shapes.get(n.output![0]);
  return [dx, unbroadcast(g, node(g, 'Mul', [dy!, xhat]), gamma, y, shapes.get(gamma)), beta ? unbroadcast(g, dy!, beta, y, shapes.get(beta)) : undefined];
};

export const layerNormVjps: Record<string, Vjp> = { LayerNormalization: layerNorm };
