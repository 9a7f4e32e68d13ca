// Data-parallel training's rules on top of the communicator (mpi.ts): which batches a rank takes,
// the world size a checkpoint resumes with, and the cross-rank check that the ranks still agree.
import zlib from 'node:zlib';
import type { TrainingStream } from '../data/stream.js';
import type { RowGather } from './step.js';
import type { TrainingBatch } from '../data/triple.js';
import type { TensorMap } from '../model/safetensors.js';
import type { TrainerState } from './checkpoint.js';
import type { Communicator } from './mpi.js';

/**
 * The next N batches of the shared stream (every rank reads the same seeded stream, so all agree
 * on its position): this rank's is the one at its rank. `read` < N only where the data ends.
 */
export async function readRankBatch(stream: TrainingStream<TrainingBatch>, comm: Communicator): Promise<{ batch?: TrainingBatch; read: number }> {
  let batch: TrainingBatch | undefined;
  let read = 0;
  for (; read < comm.size; read++) {
    const b = await stream.next();
    if (!b) break;
    if (read === comm.rank) batch = b;
  }
  return { batch, read };
}

/** A checkpoint resumes with the world size that wrote it: the data's split into ranks and the effective batch depend on it. */
export function checkWorldSize(from: string, state: TrainerState, size: number): void {
  const saved = state.world_size ?? 1;
  if (saved !== size) {
    throw new Error(`${from}/trainer_state.json: world_size ${saved}, but this run has ${size} rank(s); resume with ${saved === 1 ? 'one process (no MPI launcher)' : `mpirun -np ${saved}`} (the data's split and the effective batch depend on it)`);
  }
}

/** CRC-32 of every weight's bytes, in name order (the same on every rank while they agree). */
export function weightsChecksum(weights: TensorMap): number {
  let c = 0;
  for (const name of [...weights.keys()].sort()) {
    const d = weights.get(name)!.data;
    c = zlib.crc32(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), c);
  }
  return c;
}

/**
 * Before each checkpoint: every rank's weights and data position must equal rank 0's. A rank that
 * drifted (a bad node, a nondeterministic kernel) is an error naming it, not a silent checkpoint.
 */
export function checkRanks(comm: Communicator, weights: TensorMap, dataState: unknown, step: number): void {
  const mine = new Uint32Array([weightsChecksum(weights), zlib.crc32(JSON.stringify(dataState))]);
  const all = new Uint32Array(comm.allgather(new Uint8Array(mine.buffer)).buffer);
  for (let r = 1; r < comm.size; r++) {
    if (all[2 * r] !== all[0]) throw new Error(`step ${step}: rank ${r}'s weights differ from rank 0's (checksum ${all[2 * r].toString(16)} vs ${all[0].toString(16)}); the ranks have diverged, so no checkpoint is written`);
    if (all[2 * r + 1] !== all[1]) throw new Error(`step ${step}: rank ${r}'s data position differs from rank 0's; the ranks read different data, so no checkpoint is written`);
  }
}

/** loss.gather_across_devices over MPI: row counts and padded lengths, then rows padded to the largest count, all-gathered. */
export function rowGather(comm: Communicator): RowGather {
  let counts: number[] = [];
  return {
    ranks: comm.size,
    firstRow(rows) {
      const all = new Int32Array(comm.allgather(new Uint8Array(Int32Array.of(rows).buffer)).buffer);
      counts = [...all];
      return counts.slice(0, comm.rank).reduce((a, b) => a + b, 0);
    },
    seqLens(mine) {
      const all = new Int32Array(comm.allgather(new Uint8Array(Int32Array.from(mine).buffer)).buffer);
      return mine.map((_, c) => Math.max(...Array.from({ length: comm.size }, (_, r) => all[r * mine.length + c])));
    },
    gather(rows, width) {
      const most = Math.max(...counts) * width;
      const padded = new Float32Array(most);
      padded.set(rows);
      const all = new Float32Array(comm.allgather(new Uint8Array(padded.buffer)).buffer);
      const out = new Float32Array(counts.reduce((a, b) => a + b, 0) * width);
      let at = 0;
      counts.forEach((n, r) => {
        out.set(all.subarray(r * most, r * most + n * width), at);
        at += n * width;
      });
      return out;
    },
  };
}
