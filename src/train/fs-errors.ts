// File-system failures while a run writes (full disk, no permission, read-only mount) as one
// line a user can act on: the path, the cause in words, and the checkpoint to resume from.
import { listCheckpoints } from './checkpoint.js';

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/** Run `write`; a file-system error from it becomes a message naming `target`'s path, the cause and the last good checkpoint. */
export function guardWrite<T>(outputDir: string, what: string, target: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const cause = err.code ? CAUSES[err.code] : undefined;
    if (!cause) throw e;
    const last = listCheckpoints(outputDir).at(-1)?.dir;
    throw new Error(
      `${err.path ?? target}: cannot write ${what}: ${cause} (${err.code}). ` +
        (last ? `Last good checkpoint: ${last}; fix the cause and rerun with --train.resume latest` : 'No checkpoint was written yet'),
    );
  }
}
