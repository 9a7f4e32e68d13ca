// Split a forward + backward graph in two at the activations, so a training step can run the
// forward pass once and keep what the backward pass reads, instead of recomputing the forward
// inside the backward session (autodiff appends the backward nodes to the forward graph, which
// then has to be run whole).
//
//   forward graph:  the forward nodes; outputs: its own outputs + the forward values the backward
//                   needs (the "saved" activations, in forward order)
//   backward graph: the cheap forward nodes the backward needs again (elementwise and shape ops,
//                   recomputed from saved values), then the backward nodes; inputs: the saved
//                   values + the original inputs they read (weights, masks, the output gradient);
//                   outputs: the combined graph's
//
// By default only the outputs of costly ops (MatMul, Softmax, LayerNormalization, reductions) are
// saved (`recompute` names the ops taken again instead; an empty set saves every value the
// backward reads, which is what a combined graph holds: the step graph's memory probe):
// recomputing an Add or an Erf costs less than writing its output out and reading it back, and
// the saved bytes are what a step holds between its passes (half of them, on BERT). Running the
// two in sequence computes exactly what the combined graph computes: the same nodes, fed the same
// values.
import { DATA_TYPES, type ElemType, type Graph, type proto } from './graph-builder.js';

export interface SplitGraphs {
  forward: Graph;
  backward: Graph;
  /** The saved values: forward outputs that are backward inputs, in forward order. */
  saved: string[];
  /** Forward nodes the backward graph runs again. */
  recomputed: number;
}

/** Ops recomputed in the backward graph rather than saved: elementwise, comparisons, shape and indexing ops. */
const RECOMPUTE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Neg', 'Erf', 'Tanh', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Max', 'Min', 'Where', 'Cast', 'Identity',
  'Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Not', 'And', 'Or',
  'Shape', 'Reshape', 'Unsqueeze', 'Squeeze', 'Transpose', 'Concat', 'Expand', 'Slice', 'Gather', 'ConstantOfShape', 'Range', 'CumSum',
]);

const TYPE_NAMES = new Map(Object.entries(DATA_TYPES).map(([name, code]) => [code, name as ElemType]));
const INT64_OUT = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero']);
const BOOL_OUT = new Set(['Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);

/** Element types of a graph's values, for the ops our graphs use (first input's type otherwise). */
export function elementTypes(g: Graph): Map<string, ElemType> {
  const types = new Map<string, ElemType>();
  for (const v of g.inputs) types.set(v.name!, TYPE_NAMES.get(v.type!.tensorType!.elemType!)!);
  for (const t of g.initializers) types.set(t.name, t.type);
  for (const n of g.nodes) {
    const attr = (name: string) => n.attribute?.find((a) => a.name === name);
    let t: ElemType | undefined;
    if (INT64_OUT.has(n.opType!)) t = 'int64';
    else if (BOOL_OUT.has(n.opType!)) t = 'bool';
    else if (n.opType === 'Cast') t = TYPE_NAMES.get(Number(attr('to')!.i));
    else if (n.opType === 'ConstantOfShape') t = TYPE_NAMES.get(attr('value')?.t?.dataType ?? DATA_TYPES.float);
    else if (n.opType === 'Where') t = types.get(n.input![1]);
    else t = types.get(n.input![0]);
    if (!t) throw new Error(`split-backward: no element type for the outputs of ${n.opType} node ${n.name}`);
    for (const y of n.output!) if (y) types.set(y, t);
  }
  return types;
}

function valueInfo(name: string, type: ElemType): proto.IValueInfoProto {
  // Rank and dims are left to the runtime: the saved values have many shapes, all dynamic.
  return { name, type: { tensorType: { elemType: DATA_TYPES[type] } } };
}

/**
 * `forward` is the forward graph as it was before autodiff appended to it, `combined` the graph
 * after (its forward nodes carry the same names). `combined`'s backward nodes are those whose
 * names `forward` does not have.
 */
export function splitBackward(forward: Graph, combined: Graph, recompute: ReadonlySet<string> = RECOMPUTE): SplitGraphs {
  const forwardNames = new Set(forward.nodes.map((n) => n.name));
  const backwardOnly = combined.nodes.filter((n) => !forwardNames.has(n.name));
  const producer = new Map(forward.nodes.flatMap((n) => n.output!.map((y) => [y, n] as const)));
  // Walk back from what the backward nodes read: a cheap forward node is taken into the backward
  // graph (and what it reads is needed in turn), a costly one's output is saved.
  const needed = backwardOnly.flatMap((n) => n.input!).filter((x) => producer.has(x));
  const again = new Set<proto.INodeProto>();
  const savedSet = new Set<string>();
  while (needed.length > 0) {
    const y = needed.pop()!;
    const n = producer.get(y)!;
    if (again.has(n) || savedSet.has(y)) continue;
    if (recompute.has(n.opType!)) {
      again.add(n);
      needed.push(...n.input!.filter((x) => producer.has(x)));
    } else savedSet.add(y);
  }
  const backwardNodes = [...forward.nodes.filter((n) => again.has(n)), ...backwardOnly];
  const read = new Set(backwardNodes.flatMap((n) => n.input!).filter((x) => x !== ''));
  const saved = forward.nodes.flatMap((n) => n.output!).filter((y) => savedSet.has(y));
  const producedForward = new Set(producer.keys());
  const types = elementTypes(forward);

  const fwd: Graph = { ...forward, outputs: [...forward.outputs, ...saved.filter((y) => !forward.outputs.some((o) => o.name === y)).map((y) => valueInfo(y, types.get(y)!))] };
  const initializers = new Map([...forward.initializers, ...combined.initializers].map((t) => [t.name, t]));
  const bwd: Graph = {
    opset: combined.opset,
    nodes: backwardNodes,
    initializers: [...read].filter((x) => initializers.has(x) && !producedForward.has(x)).map((x) => initializers.get(x)!),
    inputs: [...saved.map((y) => valueInfo(y, types.get(y)!)), ...combined.inputs.filter((v) => read.has(v.name!))],
    outputs: combined.outputs,
    counters: new Map(combined.counters),
    constants: new Map(),
  };
  return { forward: fwd, backward: bwd, saved, recomputed: again.size };
}
