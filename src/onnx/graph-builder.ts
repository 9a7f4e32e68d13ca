// A small ONNX graph builder: plain functions that append nodes, initializers, inputs and outputs
// to a `Graph` and return the names of what they made, so graph code reads like the maths
// (`const y = node(g, 'MatMul', [x, w])`). The protobuf messages are onnx-proto's.
import onnxProto, { type onnx as proto } from 'onnx-proto';

/** onnx-proto is CommonJS: its namespace object at run time, `proto` for the message types. */
export const { onnx } = onnxProto;
export type { proto };

export type ElemType = 'float' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';
export type HostData = Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

/** ONNX TensorProto data types by name. */
export const DATA_TYPES: Record<ElemType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** An initializer before serialisation: its bytes stay a typed array until the file is written. */
export interface Initializer {
  name: string;
  type: ElemType;
  dims: number[];
  data: HostData;
}

export interface Graph {
  opset: number;
  nodes: proto.INodeProto[];
  initializers: Initializer[];
  inputs: proto.IValueInfoProto[];
  outputs: proto.IValueInfoProto[];
  /** Per-prefix counters for unique names. */
  counters: Map<string, number>;
  /** Scalar and small constants by value, so each is stored once. */
  constants: Map<string, string>;
}

export function createGraph(opset: number): Graph {
  return { opset, nodes: [], initializers: [], inputs: [], outputs: [], counters: new Map(), constants: new Map() };
}

/** A fresh name `prefix_N`. */
function uniqueName(g: Graph, prefix: string): string {
  const n = g.counters.get(prefix) ?? 0;
  g.counters.set(prefix, n + 1);
  return `${prefix}_${n}`;
}

/** A dimension: a number is fixed, a string is a named dynamic axis. */
export type Dim = number | string;

function valueInfo(name: string, type: ElemType, dims: Dim[]): proto.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPES[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export function addInput(g: Graph, name: string, type: ElemType, dims: Dim[]): string {
  g.inputs.push(valueInfo(name, type, dims));
  return name;
}

export function addOutput(g: Graph, name: string, type: ElemType, dims: Dim[]): void {
  g.outputs.push(valueInfo(name, type, dims));
}

export function addInitializer(g: Graph, name: string, type: ElemType, dims: number[], data: HostData): string {
  g.initializers.push({ name, type, dims, data });
  return name;
}

/** A float constant (scalar when `dims` is []), stored once per value and shape. */
export function constFloat(g: Graph, values: number | number[], dims: number[] = []): string {
  const list = typeof values === 'number' ? [values] : values;
  const key = `f:${dims}:${list}`;
  let name = g.constants.get(key);
  if (!name) {
    name = addInitializer(g, uniqueName(g, 'const_f'), 'float', dims, Float32Array.from(list));
    g.constants.set(key, name);
  }
  return name;
}

/** An int64 constant: a 1-D list (axes, shapes) or, with `dims` [], a scalar. */
export function constInt64(g: Graph, values: number | number[], dims?: number[]): string {
  const list = typeof values === 'number' ? [values] : values;
  const shape = dims ?? (typeof values === 'number' ? [] : [list.length]);
  const key = `i:${shape}:${list}`;
  let name = g.constants.get(key);
  if (!name) {
    name = addInitializer(g, uniqueName(g, 'const_i'), 'int64', shape, BigInt64Array.from(list.map(BigInt)));
    g.constants.set(key, name);
  }
  return name;
}

/**
 * Attribute values: an integer number is INT, a list of numbers INTS, a string STRING, and
 * `{ float: x }` FLOAT (explicit, since 1.0 and 1 are the same JS number).
 */
export type AttrValue = number | number[] | string | { float: number };

function attribute(name: string, v: AttrValue): proto.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer; write { float: ${v} } for a float`);
    return { name, type: T.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.FLOAT, f: v.float };
}

/**
 * Append a node; returns its output names (`outputs` fresh names unless given as a list).
 * An empty input name stands for an omitted optional input.
 */
export function nodeN(g: Graph, op: string, inputs: string[], outputs: number | string[], attrs: Record<string, AttrValue> = {}, domain = ''): string[] {
  const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => uniqueName(g, op)) : outputs;
  g.nodes.push({
    opType: op,
    domain,
    name: uniqueName(g, `${op}_node`),
    input: inputs,
    output: outs,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  });
  return outs;
}

/** Append a single-output node and return its output name (or `output`, when given). */
export function node(g: Graph, op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
  return nodeN(g, op, inputs, output === undefined ? 1 : [output], attrs)[0];
}

/**
 * Reduce over `axes`. Opset 18 moved `axes` of ReduceMax, ReduceL2, ReduceMean... from an attribute
 * to an input (ReduceSum did so at 13); this hides the difference.
 */
export function reduce(g: Graph, op: 'ReduceSum' | 'ReduceMax' | 'ReduceL2' | 'ReduceMean', x: string, axes: number[], keepdims: boolean): string {
  const axesAsInput = op === 'ReduceSum' || g.opset >= 18;
  return axesAsInput
    ? node(g, op, [x, constInt64(g, axes)], { keepdims: keepdims ? 1 : 0 })
    : node(g, op, [x], { axes, keepdims: keepdims ? 1 : 0 });
}
