// Slice along constant axes with unit steps: y = x[starts:ends] on those axes.
import { type Graph, node } from '../graph-builder.js';
import { inputs } from './attributes.js';
import type { Vjp } from './types.js';

/** The values of a constant int64 initializer, or undefined when `name` is computed. */
function constantInts(g: Graph, name: string | undefined): number[] | undefined {
  const t = name ? g.initializers.find((i) => i.name === name) : undefined;
  return t && t.data instanceof BigInt64Array ? Array.from(t.data, Number) : undefined;
}

/** dx = dy zero-padded back to x's shape: `starts` before, the rest of each axis after. */
const slice: Vjp = (g, n, [dy]) => {
  const [x, starts, , axes, steps] = inputs(n);
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`autodiff: Slice node ${n.name}: ${what}`);
  };
  check(constantInts(g, starts)?.every((s) => s >= 0) ?? false, 'starts must be constant and non-negative');
  check(!!axes && constantInts(g, axes) !== undefined, 'axes must be constant');
  check(!steps || (constantInts(g, steps)?.every((s) => s === 1) ?? false), 'steps must be 1');
  const along = (t: string) => node(g, 'Gather', [node(g, 'Shape', [t]), axes!]);
  const after = node(g, 'Sub', [node(g, 'Sub', [along(x), starts]), along(dy!)]);
  const pads = node(g, 'Concat', [starts, after], { axis: 0 });
  return [node(g, 'Pad', [dy!, pads, '', axes!]), undefined, undefined, undefined, undefined];
};

export const sliceVjps: Record<string, Vjp> = { Slice: slice };

