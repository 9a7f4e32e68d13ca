// Static shapes of a graph's values, where the ops make them derivable: each dim a number or a
// symbol (a named axis such as 'batch', or a fresh one for a dim known only at run time). Autodiff
// uses them to leave out what run-time shape code would find to be a no-op (summing a gradient
// over zero broadcast axes still copies it in onnxruntime) and to use plain MatMuls where Einsum
// would otherwise swap axes of unknown rank. A value whose shape is not derivable is absent.
import type { Graph, proto } from './graph-builder.js';
import { attrInt, attrInts, inputs } from './vjp/attributes.js';

export type Dim = number | string;
export type Shape = Dim[];

/** Numbers of a constant int64 initializer (axes, shapes), or undefined. */
function constInts(g: Graph, name: string): number[] | undefined {
  const t = g.initializers.find((x) => x.name === name);
  return t && t.data instanceof BigInt64Array ? Array.from(t.data, Number) : undefined;
}

/** Numpy-style broadcast of several shapes; undefined where two dims may differ at run time. */
export function broadcastShapes(shapes: Shape[]): Shape | undefined {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const dims = shapes.map((s) => s[s.length - rank + i] ?? 1).filter((d) => d !== 1);
    const distinct = [...new Set(dims)];
    if (distinct.length > 1) return undefined;
    out.push(distinct[0] ?? 1);
  }
  return out;
}

const SAME_AS_FIRST = new Set(['Identity', 'Cast', 'Erf', 'Gelu', 'Tanh', 'Sqrt', 'Reciprocal', 'Neg', 'Exp', 'Log', 'Not', 'Softmax', 'LogSoftmax', 'LayerNormalization', 'CumSum']);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Where', 'And', 'Or']);
const REDUCE = new Set(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceL2']);

function inferNode(g: Graph, n: proto.INodeProto, get: (name: string) => Shape | undefined, value: (name: string) => Dim[] | undefined, fresh: () => string): Shape | undefined {
  const xs = inputs(n);
  const first = get(xs[0]);
  const op = n.opType!;
  if (SAME_AS_FIRST.has(op)) return first;
  if (BROADCAST.has(op)) {
    const all = xs.map(get);
    return all.every(Boolean) ? broadcastShapes(all as Shape[]) : undefined;
  }
  if (!first) return undefined;
  const rank = first.length;
  const axis = (a: number, r = rank) => (a < 0 ? a + r : a);
  switch (op) {
    case 'MatMul': {
      const b = get(xs[1]);
      if (!b || rank < 2 || b.length < 2) return undefined;
      const batch = broadcastShapes([first.slice(0, -2), b.slice(0, -2)]);
      return batch && [...batch, first[rank - 2], b[b.length - 1]];
    }
    case 'Transpose':
      return (attrInts(n, 'perm') ?? first.map((_, i) => rank - 1 - i)).map((p) => first[p]);
    case 'Reshape': {
      const target = constInts(g, xs[1]);
      return target?.map((d, i) => (d === 0 ? first[i] : d === -1 ? fresh() : d));
    }
    case 'Unsqueeze': {
      const axes = constInts(g, xs[1]);
      if (!axes) return undefined;
      const r = rank + axes.length;
      const out: Shape = [];
      const at = new Set(axes.map((a) => axis(a, r)));
      for (let i = 0, j = 0; i < r; i++) out.push(at.has(i) ? 1 : first[j++]);
      return out;
    }
    case 'Gather': {
      const ids = get(xs[1]);
      const a = axis(attrInt(n, 'axis', 0));
      return ids && [...first.slice(0, a), ...ids, ...first.slice(a + 1)];
    }
    case 'Slice': {
      // x[0:e] along an axis has length e when e is a shape value (BERT's positions: the first
      // `sequence` rows of the table); any other slice, a fresh symbol.
      const axes = xs[3] ? constInts(g, xs[3]) : first.map((_, i) => i);
      const starts = value(xs[1]), ends = value(xs[2]);
      if (!axes) return first.map(() => fresh());
      const out = [...first];
      axes.forEach((a, k) => (out[axis(a)] = starts?.[k] === 0 && !xs[4] && typeof ends?.[k] === 'string' ? ends[k] : fresh()));
      return out;
    }
    default:
      if (REDUCE.has(op)) {
        const axes = xs[1] ? constInts(g, xs[1]) : attrInts(n, 'axes');
        if (!axes) return undefined;
        const reduced = new Set(axes.map((a) => axis(a)));
        const keep = attrInt(n, 'keepdims', 1) === 1;
        return first.flatMap((d, i) => (reduced.has(i) ? (keep ? [1] : []) : [d]));
      }
      return undefined;
  }
}

/** Shapes of graph inputs, initializers and the outputs of nodes whose shape rule is known. */
export function inferShapes(g: Graph): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const v of g.inputs) {
    const dims = v.type?.tensorType?.shape?.dim;
    if (dims) shapes.set(v.name!, dims.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))));
  }
  for (const t of g.initializers) shapes.set(t.name, t.dims);
  // Values of small int64 tensors that hold dims: constants, and Shape's outputs.
  const values = new Map<string, Dim[]>();
  const value = (name: string) => values.get(name) ?? constInts(g, name);
  let k = 0;
  const fresh = () => `?${k++}`;
  for (const n of g.nodes) {
    if (n.opType === 'Shape') {
      const x = shapes.get(n.input![0]);
      if (x) values.set(n.output![0], x.slice(attrInt(n, 'start', 0), n.attribute?.some((a) => a.name === 'end') ? attrInt(n, 'end', x.length) : x.length));
    }
    const s = inferNode(g, n, (name) => shapes.get(name), value, fresh);
    if (s) shapes.set(n.output![0], s);
  }
  return shapes;
}
