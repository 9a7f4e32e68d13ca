// AdamW over all cores. AdamW is elementwise, so cutting every tensor into one share per core and
// running the same loop on each share (adamwRange's own source, in worker threads) gives the bits
// one thread gives. The weights, gradients and moments live in SharedArrayBuffers (zerosLike,
// sharedCopy), so nothing is copied; the caller blocks until every share is done (Atomics.wait is
// allowed on Node's main thread), and the optimizer step stays a plain function call.
//
// The global norm stays on one thread: it is a float64 sum whose order fixes its rounding.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { adamwRange, type AdamwJob, type HostThreads } from './host-optim.js';

interface SharedTensor {
  w: Float32Array;
  g: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

// ctrl[0]: the job's generation (workers wait for it to change); ctrl[1]: shares done.
const GENERATION = 0, DONE = 1;
// job: b1, b2, stepSize, bc2Sqrt, eps, average, clip, then one keep per tensor.
const SCALARS = 7;

/** Share k of K + 1 of n elements: [start, end). The caller takes share 0. */
const share = (n: number, k: number, parts: number): [number, number] => [Math.floor((n * k) / parts), Math.floor((n * (k + 1)) / parts)];

const WORKER = (adamw: string, shareOf: string) => `
const { workerData } = require('node:worker_threads');
const adamwRange = ${adamw};
const share = ${shareOf};
const { ctrl, job, tensors, k, parts } = workerData;
let generation = 0;
for (;;) {
  Atomics.wait(ctrl, ${GENERATION}, generation);
  generation = Atomics.load(ctrl, ${GENERATION});
  tensors.forEach(({ w, g, m, v }, t) => {
    const keep = job[${SCALARS} + t];
    if (Number.isNaN(keep)) return;
    const [start, end] = share(w.length, k, parts);
    adamwRange(w, g, m, v, start, end, job[0], job[1], keep, job[2], job[3], job[4], job[5], job[6]);
  });
  Atomics.add(ctrl, ${DONE}, 1);
  Atomics.notify(ctrl, ${DONE});
}`;

const isShared = (a: Float32Array) => a.buffer instanceof SharedArrayBuffer;

/**
 * Worker threads for AdamW on `tensors` (in the order of AdamwJob.keeps), one per core but the
 * caller's; undefined on one core or when some array is not in shared memory (the tfjs engine's).
 */
export function openHostThreads(tensors: SharedTensor[], cores = os.availableParallelism()): HostThreads | undefined {
  if (cores < 2 || !tensors.every((t) => [t.w, t.g, t.m, t.v].every(isShared))) return undefined;
  const workers = cores - 1;
  const ctrl = new Int32Array(new SharedArrayBuffer(8));
  const job = new Float64Array(new SharedArrayBuffer(8 * (SCALARS + tensors.length)));
  const threads = Array.from({ length: workers }, (_, k) => {
    const w = new Worker(WORKER(adamwRange.toString(), share.toString()), { eval: true, workerData: { ctrl, job, tensors, k: k + 1, parts: cores } });
    w.unref(); // an idle pool does not keep the process alive
    return w;
  });
  return {
    adamw(j: AdamwJob) {
      job.set([j.b1, j.b2, j.stepSize, j.bc2Sqrt, j.eps, j.average, j.clip, ...j.keeps]);
      Atomics.store(ctrl, DONE, 0);
      Atomics.add(ctrl, GENERATION, 1);
      Atomics.notify(ctrl, GENERATION);
      tensors.forEach(({ w, g, m, v }, t) => {
        if (Number.isNaN(j.keeps[t])) return;
        const [start, end] = share(w.length, 0, cores);
        adamwRange(w, g, m, v, start, end, j.b1, j.b2, j.keeps[t], j.stepSize, j.bc2Sqrt, j.eps, j.average, j.clip);
      });
      for (let done = Atomics.load(ctrl, DONE); done < workers; done = Atomics.load(ctrl, DONE)) {
        if (Atomics.wait(ctrl, DONE, done, 600_000) === 'timed-out') throw new Error('AdamW: a worker thread did not finish its share in 10 minutes');
      }
    },
    async dispose() {
      await Promise.all(threads.map((w) => w.terminate()));
    },
  };
}
