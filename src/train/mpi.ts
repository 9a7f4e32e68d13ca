// The data-parallel communicator: a small koffi binding of Open MPI's C API (libmpi), loaded only
// when an MPI launcher (mpirun, srun) started this process; otherwise a single-process
// communicator (rank 0, size 1) that loads nothing. Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT,
// MPI_SUM...) are the addresses of global symbols in libmpi, taken with koffi; MPI_IN_PLACE is 1.
import os from 'node:os';

export interface Communicator {
  rank: number;
  size: number;
  /** The rank among those on this machine: the GPU it takes. */
  localRank: number;
  /** Sum `buf` across ranks, in place (float32). */
  allreduceFloat32(buf: Float32Array): void;
  /** Sum `buf` across ranks, in place (float64: losses and counts, summed exactly as one process would). */
  allreduceFloat64(buf: Float64Array): void;
  /** Every rank's `mine` (the same length everywhere), concatenated in rank order. */
  allgather(mine: Uint8Array): Uint8Array;
  /** End every rank of the job with `code` (after the caller printed why). */
  abort(code: number): never;
  finalize(): void;
}

/** Elements per MPI call: counts are C ints, and bounded messages keep transport buffers small. */
export const ALLREDUCE_CHUNK = 1 << 24;

/** Whether an MPI launcher started this process (Open MPI's mpirun, or a PMI/PMIx launcher such as srun). */
export function underMpiLauncher(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.OMPI_COMM_WORLD_SIZE !== undefined || env.PMI_SIZE !== undefined || env.PMIX_RANK !== undefined;
}

/** The launcher's rank on this machine: Open MPI, MPICH/Hydra, Slurm, PMIx. */
export function localRank(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.OMPI_COMM_WORLD_LOCAL_RANK ?? env.MPI_LOCALRANKID ?? env.SLURM_LOCALID ?? env.PMIX_LOCAL_RANK;
  return v === undefined || !/^\d+$/.test(v) ? undefined : Number(v);
}

/** How many ranks the launcher started on this machine (1 when it does not say). */
export function localSize(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.OMPI_COMM_WORLD_LOCAL_SIZE ?? env.MPI_LOCALNRANKS ?? env.PMIX_LOCAL_SIZE;
  return v === undefined || !/^[1-9]\d*$/.test(v) ? 1 : Number(v);
}

export const SINGLE_PROCESS: Communicator = {
  rank: 0,
  size: 1,
  localRank: 0,
  allreduceFloat32: () => {},
  allreduceFloat64: () => {},
  allgather: (mine) => Uint8Array.from(mine),
  abort: (code) => process.exit(code),
  finalize: () => {},
};

let world: Communicator | undefined;

/** The job's communicator, initialised once per process (MPI allows one MPI_Init). */
export async function worldCommunicator(env: NodeJS.ProcessEnv = process.env): Promise<Communicator> {
  if (!underMpiLauncher(env)) return SINGLE_PROCESS;
  world ??= await openMpi();
  return world;
}

const MPI_THREAD_SINGLE = 0;

async function openMpi(): Promise<Communicator> {
  let koffi: (typeof import('koffi'))['default'];
  try {
    koffi = (await import('koffi')).default;
  } catch (e) {
    throw new Error(`running under an MPI launcher needs the koffi package (npm install koffi): ${(e as Error).message}`);
  }
  let lib: ReturnType<typeof koffi.load>;
  try {
    // Open MPI's libmpi.so.40 (Debian's openmpi-bin/libopenmpi-dev); DENSETRAIN_LIBMPI names another.
    lib = koffi.load(process.env.DENSETRAIN_LIBMPI ?? 'libmpi.so.40');
  } catch (e) {
    throw new Error(`running under an MPI launcher but Open MPI's libmpi.so.40 does not load (install openmpi-bin, or set DENSETRAIN_LIBMPI): ${(e as Error).message}`);
  }
  const handle = (name: string): bigint => {
    try {
      return BigInt(lib.symbol(name));
    } catch {
      throw new Error(`libmpi has no symbol ${name}: densetrain binds Open MPI's C API (MPICH and others name their handles differently)`);
    }
  };
  const COMM_WORLD = handle('ompi_mpi_comm_world'), FLOAT = handle('ompi_mpi_float'), DOUBLE = handle('ompi_mpi_double');
  const BYTE = handle('ompi_mpi_byte'), SUM = handle('ompi_mpi_op_sum');
  const IN_PLACE = 1n;

  const initThread = lib.func('int MPI_Init_thread(void *argc, void *argv, int required, _Out_ int *provided)');
  const initialized = lib.func('int MPI_Initialized(_Out_ int *flag)');
  const finalize = lib.func('int MPI_Finalize()');
  const commRank = lib.func('int MPI_Comm_rank(intptr_t comm, _Out_ int *rank)');
  const commSize = lib.func('int MPI_Comm_size(intptr_t comm, _Out_ int *size)');
  const allreduceF = lib.func('int MPI_Allreduce(intptr_t sendbuf, void *recvbuf, int count, intptr_t type, intptr_t op, intptr_t comm)');
  const allreduceD = lib.func('MPI_Allreduce', 'int', ['intptr_t', koffi.inout(koffi.pointer('double')), 'int', 'intptr_t', 'intptr_t', 'intptr_t']);
  const allgather = lib.func('int MPI_Allgather(uint8_t *sendbuf, int sendcount, intptr_t sendtype, _Out_ uint8_t *recvbuf, int recvcount, intptr_t recvtype, intptr_t comm)');
  const abort = lib.func('int MPI_Abort(intptr_t comm, int code)');

  const check = (what: string, rc: number) => {
    if (rc !== 0) throw new Error(`MPI: ${what} failed (error code ${rc})`);
  };
  const flag = [0];
  check('MPI_Initialized', initialized(flag));
  if (!flag[0]) {
    const provided = [0];
    check('MPI_Init_thread', initThread(null, null, MPI_THREAD_SINGLE, provided));
  }
  const rank = [0], size = [0];
  check('MPI_Comm_rank', commRank(COMM_WORLD, rank));
  check('MPI_Comm_size', commSize(COMM_WORLD, size));
  let finalized = false;

  return {
    rank: rank[0],
    size: size[0],
    localRank: localRank() ?? 0,
    allreduceFloat32(buf) {
      for (let at = 0; at < buf.length; at += ALLREDUCE_CHUNK) {
        const part = buf.subarray(at, Math.min(buf.length, at + ALLREDUCE_CHUNK));
        check('MPI_Allreduce', allreduceF(IN_PLACE, part, part.length, FLOAT, SUM, COMM_WORLD));
      }
    },
    allreduceFloat64(buf) {
      check('MPI_Allreduce', allreduceD(IN_PLACE, buf, buf.length, DOUBLE, SUM, COMM_WORLD));
    },
    allgather(mine) {
      const all = new Uint8Array(mine.length * size[0]);
      check('MPI_Allgather', allgather(mine, mine.length, BYTE, all, mine.length, BYTE, COMM_WORLD));
      return all;
    },
    abort(code) {
      abort(COMM_WORLD, code);
      process.exit(code); // MPI_Abort does not return; this is for a libmpi that does
    },
    finalize() {
      if (finalized) return;
      finalized = true;
      check('MPI_Finalize', finalize());
    },
  };
}

/** The line each rank prints first: rank/size, host, and the local rank (its GPU with the cuda provider). */
export function rankLine(comm: Communicator): string {
  return `densetrain: rank ${comm.rank}/${comm.size} on ${os.hostname()} (local rank ${comm.localRank}, pid ${process.pid})`;
}
