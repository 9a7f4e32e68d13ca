import * as ort from 'onnxruntime-node';
import { onnx } from '../src/onnx/graph-builder.js';
// fp32 inputs; variant B casts to fp16 in-graph, MatMul in fp16, casts back.
const [M, K, N] = [4096, 384, 1536];
const vi = (name: string, d: number[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: d.map((dimValue) => ({ dimValue })) } } } });
const mk = (nodes: object[]) => onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: '', version: 18 }], graph: { name: 'g', node: nodes, input: [vi('a', [M, K]), vi('b', [K, N])], output: [vi('c', [M, N])] } })).finish();
const f32 = await ort.InferenceSession.create(mk([{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }]), { intraOpNumThreads: 2 });
const f16 = await ort.InferenceSession.create(mk([
  { opType: 'Cast', input: ['a'], output: ['a16'], attribute: [{ name: 'to', type: 2, i: 10 }] },
  { opType: 'Cast', input: ['b'], output: ['b16'], attribute: [{ name: 'to', type: 2, i: 10 }] },
  { opType: 'MatMul', input: ['a16', 'b16'], output: ['c16'] },
  { opType: 'Cast', input: ['c16'], output: ['c'], attribute: [{ name: 'to', type: 2, i: 1 }] },
]), { intraOpNumThreads: 2 });
let s = 7; const r = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5);
const a = new Float32Array(M * K).map(r), b = new Float32Array(K * N).map(() => r() * 0.1);
const feeds = { a: new ort.Tensor('float32', a, [M, K]), b: new ort.Tensor('float32', b, [K, N]) };
const t32: number[] = [], t16: number[] = [];
let c32: Float32Array | undefined, c16: Float32Array | undefined;
for (let i = 0; i < 7; i++) {
  let t0 = performance.now(); c32 = (await f32.run(feeds)).c.data as Float32Array; t32.push(performance.now() - t0);
  t0 = performance.now(); c16 = (await f16.run(feeds)).c.data as Float32Array; t16.push(performance.now() - t0);
}
const med = (x: number[]) => [...x].sort((p, q) => p - q)[3];
console.log(`fp32 ${med(t32).toFixed(1)} ms, fp16 (with casts) ${med(t16).toFixed(1)} ms`);
// error vs float64 on a few rows
let e32 = 0, e16 = 0, mag = 0;
for (let m = 0; m < 64; m++) for (let n = 0; n < N; n++) {
  let x = 0; for (let k = 0; k < K; k++) x += a[m * K + k] * b[k * N + n];
  e32 = Math.max(e32, Math.abs(c32![m * N + n] - x)); e16 = Math.max(e16, Math.abs(c16![m * N + n] - x)); mag = Math.max(mag, Math.abs(x));
}
console.log(`max |err| vs float64: fp32 ${e32.toExponential(2)}, fp16 ${e16.toExponential(2)} (max |c| ${mag.toFixed(3)})`);
