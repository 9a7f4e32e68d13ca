// Every op's vector-Jacobian product against central finite differences, run through
// onnxruntime-node. The graphs are float32 (the builder's float type), so the check is on
// L = Σ y·r for a random r: analytic dL/dx vs (L(x+ε) - L(x-ε)) / 2ε with ε = 1e-2 in float64
// on the host, within 2e-3 · (1 + |g|) per element.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { appendBackward } from '../../src/onnx/autodiff.js';
import { addInput, addOutput, constFloat, constInt64, createGraph, type Graph, node, reduce } from '../../src/onnx/graph-builder.js';
import { writeOnnxModel } from '../../src/onnx/onnx-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vjp-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A seeded uniform generator in [-1, 1), so failures reproduce. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

interface Case {
  name: string;
  /** Float inputs to differentiate, with their shapes. */
  inputs: Record<string, number[]>;
  /** Builds y from the inputs; returns its name. */
  build: (g: Graph, x: Record<string, string>) => string;
  /** Keeps values where the function is smooth (e.g. positive for Sqrt). */
  positive?: boolean;
  /** Hand-picked values, for kinks (Max) that random points might land within ε of. */
  fixed?: Record<string, number[]>;
}

async function session(g: Graph, name: string): Promise<ort.InferenceSession> {
  const file = path.join(dir, `${name}.onnx`);
  writeOnnxModel(g, file);
  return ort.InferenceSession.create(file);
}

async function check(c: Case): Promise<void> {
  const g = createGraph(18);
  const names: Record<string, string> = {};
  for (const [k, dims] of Object.entries(c.inputs)) names[k] = addInput(g, k, 'float', dims);
  const y = node(g, 'Identity', [c.build(g, names)], {}, 'y');
  addOutput(g, y, 'float', []);
  g.outputs[0].type!.tensorType!.shape = undefined; // rank left to onnxruntime's inference
  const rand = rng(c.name.length * 7919 + 1);
  const values: Record<string, Float32Array> = {};
  for (const [k, dims] of Object.entries(c.inputs)) {
    values[k] = c.fixed ? Float32Array.from(c.fixed[k]) : Float32Array.from({ length: size(dims) }, () => (c.positive ? 0.5 + Math.abs(rand()) : rand()));
  }
  const tensors = (vals: Record<string, Float32Array>) =>
    Object.fromEntries(Object.entries(vals).map(([k, v]) => [k, new ort.Tensor('float32', v, c.inputs[k])]));
  // The forward graph alone first: y's shape, for a random upstream gradient r of that shape.
  const forward = await session(g, `${c.name}-forward`);
  const yDims = (await forward.run(tensors(values))).y.dims as number[];
  const r = Float32Array.from({ length: size(yDims) }, () => rand());
  const loss = async (vals: Record<string, Float32Array>) => {
    const yv = (await forward.run(tensors(vals))).y.data as Float32Array;
    return yv.reduce((s, v, i) => s + v * r[i], 0);
  };

  const dy = addInput(g, 'dy', 'float', yDims);
  const grads = appendBackward(g, { seeds: new Map([[y, dy]]), wrt: Object.keys(names) });
  for (const [k, gname] of grads) node(g, 'Identity', [gname], {}, `grad_${k}`), addOutput(g, `grad_${k}`, 'float', c.inputs[k]);
  const backward = await session(g, c.name);
  const out = await backward.run({ ...tensors(values), dy: new ort.Tensor('float32', r, yDims) });
  const eps = 1e-2;
  for (const k of Object.keys(c.inputs)) {
    const analytic = out[`grad_${k}`].data as Float32Array;
    expect(out[`grad_${k}`].dims).toEqual(c.inputs[k]);
    for (let i = 0; i < values[k].length; i++) {
      const plus = Float32Array.from(values[k]), minus = Float32Array.from(values[k]);
      plus[i] += eps;
      minus[i] -= eps;
      const numeric = ((await loss({ ...values, [k]: plus })) - (await loss({ ...values, [k]: minus }))) / (2 * eps);
      expect(Math.abs(analytic[i] - numeric), `${c.name} d${k}[${i}]: ${analytic[i]} vs ${numeric}`).toBeLessThan(2e-3 * (1 + Math.abs(numeric)));
    }
  }
}

const cases: Case[] = [
  { name: 'add-broadcast', inputs: { a: [2, 3, 4], b: [4] }, build: (g, x) => node(g, 'Add', [x.a, x.b]) },
  { name: 'add-broadcast-middle', inputs: { a: [2, 3, 4], b: [2, 1, 4] }, build: (g, x) => node(g, 'Add', [x.a, x.b]) },
  { name: 'sub-broadcast', inputs: { a: [3, 1], b: [1, 4] }, build: (g, x) => node(g, 'Sub', [x.a, x.b]) },
  { name: 'mul-broadcast', inputs: { a: [2, 3], b: [3] }, build: (g, x) => node(g, 'Mul', [x.a, x.b]) },
  { name: 'mul-same-input', inputs: { a: [5] }, build: (g, x) => node(g, 'Mul', [x.a, x.a]) },
  { name: 'div-broadcast', inputs: { a: [2, 3], b: [2, 1] }, build: (g, x) => node(g, 'Div', [x.a, x.b]), positive: true },
  { name: 'where', inputs: { a: [2, 3], b: [3] }, build: (g, x) => node(g, 'Where', [node(g, 'Greater', [x.a, constFloat(g, 0.9)]), x.a, x.b]) },
  { name: 'identity-cast', inputs: { a: [4] }, build: (g, x) => node(g, 'Cast', [node(g, 'Identity', [x.a])], { to: 1 }) },
  { name: 'erf', inputs: { a: [6] }, build: (g, x) => node(g, 'Erf', [x.a]) },
  { name: 'tanh', inputs: { a: [6] }, build: (g, x) => node(g, 'Tanh', [x.a]) },
  { name: 'sqrt', inputs: { a: [6] }, build: (g, x) => node(g, 'Sqrt', [x.a]), positive: true },
  { name: 'pow', inputs: { a: [6] }, build: (g, x) => node(g, 'Pow', [x.a, constFloat(g, 3)]) },
  { name: 'matmul-2d', inputs: { a: [3, 4], b: [4, 2] }, build: (g, x) => node(g, 'MatMul', [x.a, x.b]) },
  { name: 'matmul-shared-weight', inputs: { a: [2, 3, 4], b: [4, 5] }, build: (g, x) => node(g, 'MatMul', [x.a, x.b]) },
  { name: 'matmul-batched', inputs: { a: [2, 2, 3, 4], b: [2, 2, 4, 3] }, build: (g, x) => node(g, 'MatMul', [x.a, x.b]) },
  { name: 'reshape', inputs: { a: [2, 6] }, build: (g, x) => node(g, 'Mul', [node(g, 'Reshape', [x.a, constInt64(g, [0, 2, 3])]), constFloat(g, [1, 2, 3], [3])]) },
  { name: 'transpose', inputs: { a: [2, 3, 4] }, build: (g, x) => node(g, 'Mul', [node(g, 'Transpose', [x.a], { perm: [1, 2, 0] }), constFloat(g, [1, -2], [2])]) },
  { name: 'unsqueeze', inputs: { a: [2, 3] }, build: (g, x) => node(g, 'Unsqueeze', [x.a, constInt64(g, [1])]) },
  { name: 'reduce-sum', inputs: { a: [2, 3, 4] }, build: (g, x) => reduce(g, 'ReduceSum', x.a, [1], false) },
  { name: 'reduce-sum-keepdims', inputs: { a: [2, 3, 4] }, build: (g, x) => reduce(g, 'ReduceSum', x.a, [0, 2], true) },
  { name: 'reduce-mean', inputs: { a: [2, 3, 4] }, build: (g, x) => reduce(g, 'ReduceMean', x.a, [-1], false) },
  { name: 'reduce-max', inputs: { a: [2, 3, 2] }, build: (g, x) => reduce(g, 'ReduceMax', x.a, [1], false) },
  { name: 'reduce-l2', inputs: { a: [2, 3, 4] }, build: (g, x) => reduce(g, 'ReduceL2', x.a, [-1], true) },
  {
    // At a zero row the norm's central difference is 0 (|+ε| = |-ε|): the gradient must be 0, not NaN.
    name: 'reduce-l2-zero-row',
    inputs: { a: [3, 2] },
    build: (g, x) => reduce(g, 'ReduceL2', x.a, [1], false),
    fixed: { a: [0.3, -0.8, 0, 0, -0.5, 0.1] },
  },
  {
    name: 'max-broadcast',
    inputs: { a: [2, 3], b: [3] },
    build: (g, x) => node(g, 'Max', [x.a, x.b]),
    fixed: { a: [0.5, -0.5, 0.2, -0.9, 0.8, 0.1], b: [0, 0.3, -0.4] },
  },
  { name: 'slice-rows', inputs: { a: [5, 3] }, build: (g, x) => node(g, 'Slice', [x.a, constInt64(g, [1]), constInt64(g, [4]), constInt64(g, [0])]) },
  {
    name: 'layer-norm',
    inputs: { a: [2, 3, 5], gamma: [5], beta: [5] },
    build: (g, x) => node(g, 'LayerNormalization', [x.a, x.gamma, x.beta], { axis: -1, epsilon: { float: 1e-5 } }),
  },
  { name: 'softmax', inputs: { a: [2, 5] }, build: (g, x) => node(g, 'Softmax', [x.a], { axis: -1 }) },
  { name: 'softmax-axis1', inputs: { a: [2, 3, 4] }, build: (g, x) => node(g, 'Softmax', [x.a], { axis: 1 }) },
  { name: 'log-softmax', inputs: { a: [2, 5] }, build: (g, x) => node(g, 'LogSoftmax', [x.a], { axis: -1 }) },
  { name: 'log-softmax-axis0', inputs: { a: [3, 4] }, build: (g, x) => node(g, 'LogSoftmax', [x.a], { axis: 0 }) },
  { name: 'neg', inputs: { a: [2, 3] }, build: (g, x) => node(g, 'Neg', [x.a]) },
  { name: 'concat-rows', inputs: { a: [2, 3], b: [3, 3], c: [1, 3] }, build: (g, x) => node(g, 'Concat', [x.a, x.b, x.c], { axis: 0 }) },
  { name: 'concat-last-axis', inputs: { a: [2, 1], b: [2, 3] }, build: (g, x) => node(g, 'Concat', [x.a, x.b], { axis: -1 }) },
  // EyeLike makes a constant from its input's shape: no gradient flows through it.
  { name: 'eye-like-mask', inputs: { a: [3, 4] }, build: (g, x) => node(g, 'Mul', [node(g, 'EyeLike', [x.a]), x.a]) },
  {
    name: 'gather-repeated-ids',
    inputs: { a: [5, 3] },
    build: (g, x) => node(g, 'Gather', [x.a, constInt64(g, [0, 2, 2, 4, 0, 1], [2, 3])]),
  },
  // CLS pooling: one position of axis 1 (and a negative index on the last axis).
  { name: 'gather-scalar-axis1', inputs: { a: [2, 3, 4] }, build: (g, x) => node(g, 'Gather', [x.a, constInt64(g, 1)], { axis: 1 }) },
  { name: 'gather-scalar-last-axis', inputs: { a: [2, 3, 4] }, build: (g, x) => node(g, 'Gather', [x.a, constInt64(g, -2)], { axis: 2 }) },
  // Last-token pooling: one position per batch row.
  {
    name: 'gather-nd-batch-dims-1',
    inputs: { a: [3, 4, 2] },
    build: (g, x) => node(g, 'GatherND', [x.a, constInt64(g, [3, 0, 2], [3, 1])], { batch_dims: 1 }),
  },
];

describe('vector-Jacobian products vs finite differences', () => {
  for (const c of cases) it(c.name, () => check(c));

  it('rejects ops it cannot differentiate, naming the op', () => {
    const g = createGraph(18);
    const a = addInput(g, 'a', 'float', [2]);
    const y = node(g, 'Sin', [a]);
    expect(() => appendBackward(g, { seeds: new Map([[y, a]]), wrt: ['a'] })).toThrow(/no gradient for op Sin/);
  });

  it('rejects a parameter that does not reach the seeded output', () => {
    const g = createGraph(18);
    const a = addInput(g, 'a', 'float', [2]);
    addInput(g, 'b', 'float', [2]);
    const y = node(g, 'Tanh', [a]);
    expect(() => appendBackward(g, { seeds: new Map([[y, a]]), wrt: ['a', 'b'] })).toThrow(/"b" does not reach/);
  });
});
