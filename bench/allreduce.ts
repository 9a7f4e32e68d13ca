// `mpirun -np 2 npx tsx bench/allreduce.ts`: what data-parallel training's gradient all-reduce
// costs per step (src/train/mpi.ts: float32 sum, in place, 16M-value chunks) for MiniLM-L6-H384's
// and xlm-roberta-base's parameter counts, and the latency of one small call (the engine makes one
// call per weight tensor). Rank 0 prints the median of BENCH_RUNS (default 5) timed runs.
import { worldCommunicator } from '../src/train/mpi.js';

const MODELS: [string, number, number][] = [
  // name, parameters (sentence-transformers' model.num_parameters()), weight tensors
  ['MiniLM-L6-H384', 22_713_216, 101],
  ['xlm-roberta-base', 278_043_648, 199],
];
const runs = Number(process.env.BENCH_RUNS ?? 5);
const comm = await worldCommunicator();
const say = (l: string) => comm.rank === 0 && console.log(l);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeIt(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

say(`allreduce on ${comm.size} ranks, median of ${runs}`);
const tiny = new Float32Array(1);
const latency = median(Array.from({ length: 200 }, () => timeIt(() => comm.allreduceFloat32(tiny))));
say(`one-value call: ${(latency * 1000).toFixed(1)} us`);
for (const [name, params, tensors] of MODELS) {
  const buf = new Float32Array(params).fill(1 / comm.size);
  comm.allreduceFloat32(buf); // warm-up (page faults, transport setup)
  const ms = median(Array.from({ length: runs }, () => timeIt(() => comm.allreduceFloat32(buf))));
  const gb = (params * 4) / 1e9;
  say(`${name}: ${params} params (${gb.toFixed(3)} GB), ${ms.toFixed(1)} ms per all-reduce (${(gb / (ms / 1000)).toFixed(2)} GB/s), + ${tensors} calls x latency = ${(tensors * latency).toFixed(1)} ms`);
}
comm.finalize();
