// train.memory_budget: the most memory (resident set) a training run may peak at. The onnx engine
// spends what the run does not otherwise need on keeping activations between a chunk's forward and
// backward passes (no recompute); past the budget it recomputes them, as it always did.
import fs from 'node:fs';
import os from 'node:os';

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** Bytes of a budget written as a number of bytes or with a unit ("6GB", "6 GiB", "512MiB"); "auto" is the default. */
export function parseMemoryBudget(value: string | number, where = 'train.memory_budget'): number | 'auto' {
  if (value === 'auto') return 'auto';
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${where}: ${value} is not a positive number of bytes`);
    return value;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(value);
  if (!m || Number(m[1]) <= 0) throw new Error(`${where}: "${value}" is not a size; write bytes or a number with a unit (e.g. 6GB, 6GiB, 512MiB), or auto`);
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

/** This process's resident set now (Linux: /proc; elsewhere Node's figure). */
export function residentBytes(): number {
  return process.memoryUsage.rss();
}

/** This process's peak resident set so far (Linux VmHWM), or its resident set where that is not known. */
export function peakResidentBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage.rss();
}

/** "6.4 GB" */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}
