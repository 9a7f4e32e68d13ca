// Synchronous line reader for text files too large to hold as one string (a BEIR corpus can be
// several GB, past V8's string limit): reads 1 MiB at a time and yields each line, numbered from 1.
// A line that is not valid UTF-8 is an error naming the file, the line and, for JSON, the field.
import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import { invalidUtf8Fields } from './utf8-fields.js';

const CHUNK = 1 << 20;

export interface Line {
  /** 1-based line number. */
  n: number;
  /** The line without its "\n" or "\r\n" (and without a leading byte-order mark on line 1). */
  text: string;
  /** The line's bytes, set only when they are not valid UTF-8 (`text` then holds U+FFFD for them). */
  invalidUtf8?: Buffer;
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
    // copied: the bytes are a view of a buffer the next read overwrites
    return isUtf8(bytes) ? { n: ++n, text } : { n: ++n, text, invalidUtf8: Buffer.from(bytes) };
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
  for (const { n, text, invalidUtf8 } of readLinesSync(file)) {
    if (text.trim() === '') continue; // blank lines hold no record
    const where = `${file} line ${n}`;
    if (invalidUtf8) {
      const fields = invalidUtf8Fields(invalidUtf8).map((f) => `, field "${f}"`).join('');
      throw new Error(`${where}${fields}: invalid UTF-8`);
    }
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
