// The shape of one op's vector-Jacobian product, shared by the per-op files and autodiff.ts.
import type { Graph, proto } from '../graph-builder.js';
import type { Shape } from '../shapes.js';

/**
 * Append the backward nodes of forward node `n` to `g`. `dy[i]` is the gradient of output i
 * (same shape as that output), or undefined where nothing downstream needs it. Returns one
 * gradient name per input, undefined for inputs that have none (indices, shapes, exponents).
 * `shapes` holds the forward values' static shapes where known (shapes.ts).
 */
export type Vjp = (g: Graph, n: proto.INodeProto, dy: (string | undefined)[], shapes: Map<string, Shape>) => (string | undefined)[];
