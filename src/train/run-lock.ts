// One training process per output folder: `output_dir/.densetrain.lock` holds the owner's pid and
// host. It is created with the 'wx' flag (atomic: of two processes only one creates it), removed
// when the run ends however it ends (a process 'exit' handler covers process.exit, e.g. on SIGINT),
// and a lock left by a process that no longer exists on this host is taken over.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LOCK_FILE = '.densetrain.lock';

interface Owner {
  pid: number;
  host: string;
  started: string;
}

export interface RunLock {
  readonly file: string;
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readOwner(file: string): Owner | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8'));
    return Number.isInteger(o?.pid) && typeof o.host === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

function tryCreate(file: string, owner: Owner): boolean {
  try {
    fs.writeFileSync(file, JSON.stringify(owner) + '\n', { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Take the folder's lock or throw, naming the process that holds it. */
export function acquireRunLock(outputDir: string): RunLock {
  fs.mkdirSync(outputDir, { recursive: true });
  const file = path.join(outputDir, LOCK_FILE);
  const me: Owner = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  for (let attempt = 0; !tryCreate(file, me); attempt++) {
    const other = readOwner(file);
    const stale = other !== undefined && other.host === me.host && !isAlive(other.pid);
    if (!stale || attempt > 0) {
      const who = other ? `pid ${other.pid} on ${other.host}, since ${other.started}` : 'an unreadable lock file';
      throw new Error(
        `${outputDir}: another densetrain run is using this folder (${who}; lock file ${file}). ` +
          'Wait for it to end or choose another train.output_dir; if that process is gone, delete the lock file',
      );
    }
    // The owner is dead: take over. Removing by rename keeps two recoverers from both succeeding.
    try {
      fs.renameSync(file, `${file}.stale-${process.pid}`);
      fs.rmSync(`${file}.stale-${process.pid}`, { force: true });
    } catch {
      // another process recovered it first; the next create attempt decides
    }
  }
  const release = (): void => {
    process.off('exit', release);
    if (readOwner(file)?.pid === me.pid) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { file, release };
}
