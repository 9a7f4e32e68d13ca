// rejected.jsonl: every record skipped under `on_bad_record: skip`, one JSON line each with the
// file, its location, the field and the reason, and the record itself. The file appears with the
// first rejection, so a clean run leaves none.
import fs from 'node:fs';
import path from 'node:path';
import type { Location } from './reader.js';

export interface Rejection {
  file: string;
  loc: Location;
  field: string | null;
  reason: string;
  record?: unknown;
}

export interface RejectLog {
  readonly path: string;
  write(r: Rejection): void;
  close(): void;
}

/**
 * A fresh run (`keep` undefined) replaces an old log. A resumed run keeps the first `keep` lines,
 * those its checkpoint had written: the pipeline reads ahead of training, so a run that stopped
 * may have logged records it will read, and log, again.
 */
export function openRejectLog(file: string, keep?: number): RejectLog {
  if (keep === undefined) fs.rmSync(file, { force: true });
  else if (fs.existsSync(file)) {
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    if (lines.length > keep) {
      fs.writeFileSync(`${file}.tmp`, lines.slice(0, keep).map((l) => l + '\n').join(''));
      fs.renameSync(`${file}.tmp`, file);
    }
  }
  let fd: number | null = null;
  return {
    path: file,
    write(r) {
      if (fd === null) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fd = fs.openSync(file, 'a');
      }
      const line = JSON.stringify({ file: r.file, ...r.loc, field: r.field, reason: r.reason, record: r.record }, (_, v) =>
        typeof v === 'bigint' ? Number(v) : v,
      );
      try {
        fs.writeSync(fd, line + '\n');
      } catch (e) {
        throw new Error(`${file}: cannot log a skipped record (${(e as Error).message})`);
      }
    },
    close() {
      if (fd !== null) fs.closeSync(fd);
      fd = null;
    },
  };
}
