// Synchronous line reader for text files too large to hold as one string (a BEIR corpus can be
// several GB, past V8's string limit): reads 1 MiB at a time and yields each line, numbered from 1.
import fs from 'node:fs';

const CHUNK = 1 << 20;

export interface Line {
  /** 1-based line number. */
  n: number;
  /** The line without its "\n" or "\r\n" (and without a leading byte-order mark on line 1). */
  text: string;
}

export function* readLinesSync(file: string): Generator<Line> {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(CHUNK);
  let carry = Buffer.alloc(0);
  let n = 0;
  const line = (bytes: Buffer): Line => {
    let text = bytes.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (n === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { n: ++n, text };
  };
  try {
    let read: number;
    while ((read = fs.readSync(fd, buf, 0, CHUNK, null)) > 0) {
      const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, read)]) : buf.subarray(0, read);
      let start = 0;
      let nl: number;
      while ((nl = data.indexOf(10, start)) >= 0) {
        yield line(data.subarray(start, nl));
        start = nl + 1;
      }
      // copy: `buf` is overwritten by the next read
      carry = Buffer.from(data.subarray(start));
    }
    if (carry.length > 0) yield line(carry);
  } finally {
    fs.closeSync(fd);
  }
}

/** The JSON objects of a JSONL file, skipping blank lines; `where` is "FILE line N" for messages. */
export function* readJsonObjectsSync(file: string): Generator<{ rec: Record<string, unknown>; where: string }> {
  for (const { n, text } of readLinesSync(file)) {
    if (text.trim() === '') continue; // blank lines hold no record
    const where = `${file} line ${n}`;
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch (e) {
      throw new Error(`${where}: not JSON (${(e as Error).message})`);
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new Error(`${where}: not a JSON object`);
    yield { rec: rec as Record<string, unknown>, where };
  }
}
