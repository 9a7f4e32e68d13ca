// train.memory_budget: the most memory (resident set) a training run may peak at. The onnx engine
// spends it on speed: a micro-batch runs in as few parts as fit, each part's loss, forward and
// backward in one run of the step graph (no recompute: three encoder passes per step with one
// part, as PyTorch makes); without a budget (`none`) every chunk's backward pass recomputes its
// forward (four passes, the least memory). `auto`, the default, is 80% of the memory available
// when the run starts. See the README's "Training engines" and Benchmarks.
import os from 'node:os';

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** Bytes of a budget written as a number of bytes or with a unit ("6GB", "6 GiB", "512MiB"), or auto (the default), or none. */
export function parseMemoryBudget(value: string, where?: string): number | 'auto' | 'none' {
  if (value === 'auto' || value === 'none') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(value);
  if (!m || Number(m[1]) <= 0) {
    throw new Error(`${where ? `${where}: ` : ''}train.memory_budget "${value}" is not a size; write bytes or a number with a unit (e.g. 6GB, 6GiB, 512MiB), auto (80% of the memory available at the start) or none`);
  }
  return Math.round(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]);
}

/** The memory this process may grow to: what is free now plus what it holds, capped by a cgroup limit. */
function availableBytes(): number {
  const mine = process.memoryUsage.rss();
  const free = os.freemem() + mine; // os.freemem is /proc/meminfo's MemAvailable on Linux
  const limit = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  return limit && limit > 0 && limit < free ? limit : free;
}

/** The default budget: 80% of the memory available to the run when it starts (leaving room for the rest of the machine). */
export function defaultMemoryBudget(): number {
  return Math.floor(0.8 * availableBytes());
}

/** "6.4 GB" */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}
