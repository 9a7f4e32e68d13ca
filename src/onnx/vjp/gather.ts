// Lookups by index: embedding rows (Gather axis 0), CLS pooling (Gather of one position along
// axis 1) and last-token pooling (GatherND with one position per batch row).
import { constInt64, type Graph, node, type proto } from '../graph-builder.js';
import { attrInt, inputs } from './attributes.js';
import type { Vjp } from './types.js';

/** The dims of a graph input or initializer, when declared; undefined for intermediates. */
function declaredDims(g: Graph, name: string): number[] | undefined {
  const init = g.initializers.find((t) => t.name === name);
  if (init) return init.dims;
  const dims = g.inputs.find((v) => v.name === name)?.type?.tensorType?.shape?.dim;
  return dims?.map((d) => (d.dimValue === undefined || d.dimValue === null ? -1 : Number(d.dimValue)));
}

function unsupported(n: proto.INodeProto, what: string): never {
  throw new Error(`autodiff: ${n.opType} node ${n.name}: ${what}`);
}

/** Axis 0, table [V, H] by ids [...] -> [..., H]: dtable[v] = Σ over positions with id v of dy[position]. */
function gatherRows(g: Graph, table: string, ids: string, dy: string): string {
  const zeros = node(g, 'ConstantOfShape', [node(g, 'Shape', [table])]); // float 0 by default
  const where = node(g, 'Unsqueeze', [ids, node(g, 'Shape', [node(g, 'Shape', [ids])])]); // [..., 1]
  return node(g, 'ScatterND', [zeros, where, dy], { reduction: 'add' });
}

/**
 * Any axis a, one scalar index k: x [d0..dn] -> y = x[.., k, ..] without axis a. dx is zero except
 * at index k of axis a, where it is dy: dy unsqueezed at a, scattered along a at k.
 */
function gatherOne(g: Graph, x: string, k: string, axis: number, dy: string): string {
  const zeros = node(g, 'ConstantOfShape', [node(g, 'Shape', [x])]);
  const updates = node(g, 'Unsqueeze', [dy, constInt64(g, [axis])]); // x's rank, size 1 along a
  const at = node(g, 'Expand', [k, node(g, 'Shape', [updates])]);
  return node(g, 'ScatterElements', [zeros, at, updates], { axis });
}

const gather: Vjp = (g, n, [dy]) => {
  const [x, idx] = inputs(n);
  const axis = attrInt(n, 'axis', 0);
  if (axis === 0) return [gatherRows(g, x, idx, dy!), undefined];
  if (declaredDims(g, idx)?.length !== 0) unsupported(n, `axis ${axis} is differentiable only with a constant scalar index`);
  return [gatherOne(g, x, idx, axis, dy!), undefined];
};

/**
 * batch_dims 1, x [B, L, ...] and idx [B, 1]: y[b] = x[b, idx[b, 0]] [B, ...]. dx is dy scattered
 * into zeros at the full indices [b, idx[b, 0]] (Range(B) beside idx, [B, 2]).
 */
const gatherNd: Vjp = (g, n, [dy]) => {
  const [x, idx] = inputs(n);
  if (attrInt(n, 'batch_dims', 0) !== 1) unsupported(n, 'only batch_dims 1 is differentiable');
  const dims = declaredDims(g, idx);
  if (dims && (dims.length !== 2 || (dims[1] !== -1 && dims[1] !== 1))) unsupported(n, `indices must be [batch, 1], not [${dims}]`);
  const batch = node(g, 'Gather', [node(g, 'Shape', [x]), constInt64(g, 0)]); // scalar B
  const rows = node(g, 'Unsqueeze', [node(g, 'Range', [constInt64(g, 0), batch, constInt64(g, 1)]), constInt64(g, [1])]); // [B, 1]
  const full = node(g, 'Concat', [rows, idx], { axis: 1 }); // [B, 2]
  const zeros = node(g, 'ConstantOfShape', [node(g, 'Shape', [x])]);
  return [node(g, 'ScatterND', [zeros, full, dy!]), undefined];
};

export const gatherVjps: Record<string, Vjp> = { Gather: gather, GatherND: gatherNd };
