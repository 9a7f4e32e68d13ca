// `npm run bench:precision`: what onnxruntime-node's CPU execution provider can do below float32
// on this machine, for issue #17's bf16 question. For the MiniLM feed-forward MatMul
// ([4096 tokens, 384] x [384, 1536]) it reports:
//   - the CPU's 16-bit float features (/proc/cpuinfo: amx_bf16, avx512_bf16, avx512_fp16);
//   - whether a bfloat16 MatMul opens at all;
//   - float16 MatMul (fed float32, cast in the graph as a mixed-precision graph would): time and
//     error against float64, beside float32. An error equal to float32's means onnxruntime ran it
//     in float32 (its CPU provider inserts casts around kernels it lacks), so no speed can come of it.
// BENCH_REPEATS (default 7): runs per variant, alternated; medians reported.
import fs from 'node:fs';
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { onnx } from '../src/onnx/graph-builder.js';

const [M, K, N] = [4096, 384, 1536];
const repeats = Number(process.env.BENCH_REPEATS ?? 7);
const FLOAT = onnx.TensorProto.DataType.FLOAT, FLOAT16 = onnx.TensorProto.DataType.FLOAT16, BFLOAT16 = onnx.TensorProto.DataType.BFLOAT16;
const ATTR_INT = onnx.AttributeProto.AttributeType.INT;

const flags = /^flags\s*:(.*)$/m.exec(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1].trim().split(/\s+/) ?? [];
const model = /^model name\s*:(.*)$/m.exec(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1].trim() ?? os.cpus()[0]?.model;
const has = (f: string) => (flags.includes(f) ? 'yes' : 'no');
console.log(`cpu: ${model}, ${os.availableParallelism()} threads; amx_bf16 ${has('amx_bf16')}, avx512_bf16 ${has('avx512_bf16')}, avx512_fp16 ${has('avx512_fp16')}, avx512_vnni ${has('avx512_vnni')}`);
console.log(`onnxruntime-node ${ort.env.versions.common}, cpu execution provider`);

/** One MatMul graph of float32 inputs; `inner` is the type the MatMul runs in (casts around it otherwise). */
function matmulModel(inner: number): Uint8Array {
  const vi = (name: string, type: number, d: number[]) => ({ name, type: { tensorType: { elemType: type, shape: { dim: d.map((dimValue) => ({ dimValue })) } } } });
  const cast = (x: string, y: string, to: number) => ({ opType: 'Cast', input: [x], output: [y], attribute: [{ name: 'to', type: ATTR_INT, i: to }] });
  const nodes = inner === FLOAT
    ? [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }]
    : [cast('a', 'a16', inner), cast('b', 'b16', inner), { opType: 'MatMul', input: ['a16', 'b16'], output: ['c16'] }, cast('c16', 'c', FLOAT)];
  const m = onnx.ModelProto.create({
    irVersion: 9,
    opsetImport: [{ domain: '', version: 18 }],
    graph: { name: 'matmul', node: nodes, input: [vi('a', FLOAT, [M, K]), vi('b', FLOAT, [K, N])], output: [vi('c', FLOAT, [M, N])] },
  });
  return onnx.ModelProto.encode(m).finish();
}

const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: os.availableParallelism(), graphOptimizationLevel: 'all' };
let bf16Opens = false;
try {
  await (await ort.InferenceSession.create(matmulModel(BFLOAT16), opts)).release();
  bf16Opens = true;
  console.log('bfloat16 MatMul: opens');
} catch (e) {
  console.log(`bfloat16 MatMul: does not open (${(e as Error).message.split('\n')[0].slice(0, 120)})`);
}

let seed = 7;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
const a = Float32Array.from({ length: M * K }, rand);
const b = Float32Array.from({ length: K * N }, () => rand() * 0.1);
const feeds = { a: new ort.Tensor('float32', a, [M, K]), b: new ort.Tensor('float32', b, [K, N]) };
const variants = [{ name: 'float32', inner: FLOAT }, { name: 'float16', inner: FLOAT16 }];
const sessions = await Promise.all(variants.map((v) => ort.InferenceSession.create(matmulModel(v.inner), opts)));
const times: number[][] = variants.map(() => []);
const outputs: Float32Array[] = [];
for (let r = 0; r < repeats; r++) {
  for (const [i, s] of sessions.entries()) {
    const t0 = performance.now();
    outputs[i] = (await s.run(feeds)).c.data as Float32Array;
    times[i].push(performance.now() - t0);
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
// Error against float64 on the first 64 rows.
const errors = variants.map(() => 0);
for (let m = 0; m < 64; m++) {
  for (let n = 0; n < N; n++) {
    let exact = 0;
    for (let k = 0; k < K; k++) exact += a[m * K + k] * b[k * N + n];
    outputs.forEach((o, i) => (errors[i] = Math.max(errors[i], Math.abs(o[m * N + n] - exact))));
  }
}
for (const [i, v] of variants.entries()) {
  const ms = median(times[i]);
  console.log(`${v.name} MatMul ${M}x${K}x${N}: median ${ms.toFixed(1)} ms (${((2 * M * K * N) / ms / 1e6).toFixed(1)} GFLOP/s), max |error| vs float64 ${errors[i].toExponential(2)}`);
}
const ranInFloat32 = errors[1] === errors[0];
console.log(ranInFloat32
  ? 'float16: same error as float32, so onnxruntime computed it in float32 (casts inserted around a kernel its CPU provider lacks): no speed to gain'
  : `float16: error ${(errors[1] / Math.max(errors[0], 1e-30)).toFixed(0)}x float32's: a real half-precision kernel`);
console.log(JSON.stringify({ bench: 'precision', bf16_matmul_opens: bf16Opens, float16_ran_in_float32: ranInFloat32, ms: Object.fromEntries(variants.map((v, i) => [v.name, +median(times[i]).toFixed(1)])) }));
