// JSONL and JSONL.gz reader: one JSON object per line, streamed in 1 MiB chunks so memory does not
// grow with the file. A plain file resumes at a byte offset; a .gz file cannot seek, so it is
// decompressed again and the lines already read are skipped.
import fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Source } from './sources.js';
import { errorMessage, type RawRecord, type ReadPosition, type Reader } from './reader.js';
import { invalidUtf8Fields } from './utf8-fields.js';

const CHUNK = 1 << 20;

export async function* readJsonl(src: Source, from: ReadPosition = {}): Reader {
  const gz = src.kind === 'jsonl.gz';
  let line = from.line ?? 0;
  let byte = gz ? 0 : (from.byte ?? 0);
  let toSkip = gz ? line : 0;
  const file = fs.createReadStream(src.path, { start: byte, highWaterMark: CHUNK });
  const input = gz ? pipeline(file, createGunzip({ chunkSize: CHUNK }), () => {}) : file;
  let carry: Buffer | null = null;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let start = 0;
      let nl: number;
      while ((nl = chunk.indexOf(10, start)) >= 0) {
        // a line cut by the chunk boundary: join only its two parts, not the whole chunk
        const bytes = carry ? Buffer.concat([carry, chunk.subarray(0, nl)]) : chunk.subarray(start, nl);
        carry = null;
        start = nl + 1;
        if (toSkip > 0) {
          toSkip--;
          continue;
        }
        line++;
        byte += bytes.length + 1;
        const rec = parseLine(bytes, line, gz ? { line } : { line, byte });
        if (rec) yield rec;
      }
      if (start < chunk.length) carry = carry ? Buffer.concat([carry, chunk.subarray(start)]) : chunk.subarray(start);
    }
  } catch (e) {
    const reason = gz ? `truncated or corrupt gzip data (${errorMessage(e)})` : errorMessage(e);
    yield { problem: { field: null, reason }, loc: { line: line + 1 }, after: { line }, fatal: true };
    return;
  } finally {
    input.destroy();
    file.destroy();
  }
  if (carry && toSkip === 0) {
    // the last line has no newline
    line++;
    const rec = parseLine(carry, line, gz ? { line } : { line, byte: byte + carry.length });
    if (rec) yield rec;
  }
}

function parseLine(bytes: Buffer, line: number, after: ReadPosition): RawRecord | null {
  const loc = { line };
  if (!isUtf8(bytes)) {
    const raw = bytes.toString('utf8');
    const fields = invalidUtf8Fields(bytes);
    return { problem: { field: fields.length > 0 ? fields.join(', ') : null, reason: 'invalid UTF-8' }, loc, raw, after };
  }
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
  if (text.trim() === '') return null; // blank lines hold no record
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problem: { field: null, reason: `not JSON (${errorMessage(e)})` }, loc, raw: text, after };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { problem: { field: null, reason: 'not a JSON object' }, loc, raw: text, after };
  return { value, loc, after };
}
