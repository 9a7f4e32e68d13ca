// A file written whole or not at all: the data goes to a temporary sibling (same file system)
// that is renamed over the target, so a crash or kill never leaves a half-written file behind,
// and a failed write removes its temporary file.
import fs from 'node:fs';

export function writeFileAtomically(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** JSON as densetrain writes it everywhere: two-space indent, final newline. */
export function writeJsonAtomically(file: string, value: unknown): void {
  writeFileAtomically(file, JSON.stringify(value, null, 2) + '\n');
}
