// Reverse-mode automatic differentiation over an ONNX `Graph`: walk the forward nodes backwards
// from an output whose gradient is given, apply each op's vector-Jacobian product (vjp/*.ts), and
// sum gradients where a value feeds several nodes. The backward nodes are appended to the same
// graph, so one session computes forward and backward and reuses the forward activations.
import { type Graph, node } from './graph-builder.js';
import { inferShapes } from './shapes.js';
import { elementwiseVjps } from './vjp/elementwise.js';
import { gatherVjps } from './vjp/gather.js';
import { layerNormVjps } from './vjp/layer-norm.js';
import { matmulVjps } from './vjp/matmul.js';
import { reduceVjps } from './vjp/reduce.js';
import { shapeVjps } from './vjp/shape.js';
import { sliceVjps } from './vjp/slice.js';
import { softmaxVjps } from './vjp/softmax.js';
import type { Vjp } from './vjp/types.js';
import { unaryVjps } from './vjp/unary.js';

const VJPS: Record<string, Vjp> = {
  ...elementwiseVjps,
  ...unaryVjps,
  ...matmulVjps,
  ...shapeVjps,
  ...reduceVjps,
  ...softmaxVjps,
  ...gatherVjps,
  ...sliceVjps,
  ...layerNormVjps,
};

export const DIFFERENTIABLE_OPS = Object.keys(VJPS);

/**
 * Ops whose outputs are integers, booleans or constants of the input's shape (EyeLike): dependence
 * on a parameter stops there.
 */
const PIECEWISE_CONSTANT = new Set(['Shape', 'Size', 'Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Not', 'And', 'Or', 'ArgMax', 'ArgMin', 'NonZero', 'EyeLike']);

export interface BackwardRequest {
  /** Forward values whose upstream gradients are given: value name -> gradient name (same shape). */
  seeds: Map<string, string>;
  /** Values (parameters, inputs) to differentiate with respect to. */
  wrt: string[];
}

/**
 * Append the backward pass of `g` to `g`. Returns wrt name -> gradient name. Only nodes on a path
 * from a `wrt` value to a seed are differentiated; a parameter that does not reach any seed is an
 * error (its gradient would be identically zero, which usually means a wrong name).
 */
export function appendBackward(g: Graph, req: BackwardRequest): Map<string, string> {
  const forward = g.nodes.slice();
  const shapes = inferShapes(g);
  // Values that depend on some wrt value (forward order) ...
  const dependent = new Set(req.wrt);
  for (const n of forward) if (!PIECEWISE_CONSTANT.has(n.opType!) && n.input!.some((x) => dependent.has(x))) for (const y of n.output!) dependent.add(y);
  // ... and gradients accumulated from the seeds back (reverse order).
  const grads = new Map<string, string[]>();
  for (const [y, dy] of req.seeds) grads.set(y, [dy]);
  const total = (name: string): string | undefined => {
    const parts = grads.get(name);
    if (!parts) return undefined;
    const sum = parts.reduce((acc, p) => node(g, 'Add', [acc, p]));
    grads.set(name, [sum]);
    return sum;
  };

  for (let i = forward.length - 1; i >= 0; i--) {
    const n = forward[i];
    const needed = n.input!.map((x) => x !== '' && dependent.has(x));
    if (!needed.some(Boolean)) continue;
    const dy = n.output!.map(total);
    if (dy.every((d) => d === undefined)) continue;
    const vjp = VJPS[n.opType!];
    if (!vjp) throw new Error(`autodiff: no gradient for op ${n.opType} (node ${n.name}); supported: ${DIFFERENTIABLE_OPS.join(', ')}`);
    const dx = vjp(g, n, dy, shapes);
    n.input!.forEach((x, k) => {
      if (!needed[k]) return;
      if (dx[k] === undefined) throw new Error(`autodiff: ${n.opType} node ${n.name} has no gradient for its input ${k} ("${x}")`);
      grads.set(x, [...(grads.get(x) ?? []), dx[k]!]);
    });
  }

  return new Map(req.wrt.map((w) => {
    const dw = total(w);
    if (dw === undefined) throw new Error(`autodiff: "${w}" does not reach any seeded output`);
    return [w, dw];
  }));
}

/**
 * Drop nodes none of whose outputs reaches a graph output, and initializers nothing reads: a VJP
 * also builds the gradients of inputs nobody asked for (a dropout mask's, a constant's), and
 * onnxruntime would run them.
 */
export function pruneDeadNodes(g: Graph): void {
  const live = new Set(g.outputs.map((o) => o.name!));
  const kept: typeof g.nodes = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n.output!.some((y) => live.has(y))) continue;
    kept.push(n);
    for (const x of n.input!) live.add(x);
  }
  g.nodes = kept.reverse();
  g.initializers = g.initializers.filter((t) => live.has(t.name));
  for (const [key, name] of g.constants) if (!live.has(name)) g.constants.delete(key);
}
