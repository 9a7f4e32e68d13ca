// `densetrain embed`: texts from JSONL (`text` field) or plain text (one per line) -> JSONL of
// `{"embedding": [...]}` in the same order. The input's format is read from its content (a JSONL
// file named .json is still JSONL); the output goes to a temporary file renamed into place, and
// never onto the input.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { loadOnnxModel } from '../graphs/onnx-encoder.js';
import { progress } from '../progress.js';

export const INPUT_FORMATS = ['auto', 'jsonl', 'text'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface EmbedArgs {
  model: string;
  input: string;
  output: string;
  batchSize: number;
  promptName?: string;
  /** A literal prompt (sentence-transformers' `prompt=`), instead of promptName. */
  prompt?: string;
  /** auto (default): by content; jsonl or text: as told. */
  inputFormat?: InputFormat;
}

/** Texts of an embed input file: JSONL objects with `text`, or one text per line. */
export function readTexts(file: string, format: InputFormat = 'auto'): string[] {
  const lines = decodeLines(file, readBytes(file));
  const kind = format === 'auto' ? detectFormat(file, lines) : format;
  if (kind === 'text') return lines.map((l) => l.replace(/\r$/, ''));
  return lines.map((line, i) => {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1}: not a JSON object`);
    }
    const t = (obj as Record<string, unknown>)?.text;
    if (typeof t !== 'string') throw new Error(`${file}:${i + 1}: field "text" is missing or not a string`);
    return t;
  });
}

/** The file's bytes, gunzipped when it is gzip (by its magic bytes, whatever its name). */
function readBytes(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read the input file (${(e as Error).message})`);
  }
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return zlib.gunzipSync(raw);
  } catch (e) {
    // What decompresses before the damage tells the user how far the file is good.
    let complete = 0;
    try {
      const partial = zlib.gunzipSync(raw, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      for (const b of partial) if (b === 0x0a) complete++;
    } catch {
      throw new Error(`${file}: not valid gzip data (${(e as Error).message})`);
    }
    const readable = complete > 0 ? `; lines 1-${complete} are readable` : '';
    throw new Error(`${file}:${complete + 1}: the gzip data is cut short or damaged in this line (${(e as Error).message})${readable}`);
  }
}

/** The lines of the file as text; invalid UTF-8 names its line. */
function decodeLines(file: string, raw: Buffer): string[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    let start = 0;
    for (let line = 1; ; line++) {
      const end = raw.indexOf(0x0a, start);
      const bytes = raw.subarray(start, end < 0 ? raw.length : end);
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new Error(`${file}:${line}: not valid UTF-8 text (save the file as UTF-8)`);
      }
      if (end < 0) throw new Error(`${file}: not valid UTF-8 text (save the file as UTF-8)`);
      start = end + 1;
    }
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** JSONL when every non-empty line is a JSON object (and always for .jsonl), plain text when none
 * is; a mix is an error, since either reading would embed something the user did not mean. */
function detectFormat(file: string, lines: string[]): 'jsonl' | 'text' {
  if (/\.jsonl(\.gz)?$/i.test(file)) return 'jsonl';
  let object: number | undefined;
  let other: number | undefined;
  for (const [i, line] of lines.entries()) {
    const t = line.trim();
    if (t === '') continue;
    if (t.startsWith('{')) object ??= i + 1;
    else other ??= i + 1;
    if (object !== undefined && other !== undefined)
      throw new Error(`${file}: cannot tell JSONL from plain text: line ${object} is a JSON object but line ${other} is not; fix the file, or pass --input-format jsonl or --input-format text`);
  }
  return object !== undefined ? 'jsonl' : 'text';
}

/** Same file, whatever the spelling: the resolved path, or the same inode (links). */
function sameFile(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const [sa, sb] = [fs.statSync(a), fs.statSync(b)];
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** `out.jsonl.densetrain.tmp-<pid>`: ours, and whose. */
const tempName = (output: string, pid: number) => `${output}.densetrain.tmp-${pid}`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/** Remove the temporary outputs of killed embed runs into `output` (their pid is gone). */
export function removeStaleTemps(output: string): string[] {
  const dir = path.dirname(path.resolve(output));
  const prefix = path.basename(tempName(output, 0)).replace(/0$/, '');
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(prefix.length))) continue;
    const pid = Number(name.slice(prefix.length));
    if (pid === process.pid || alive(pid)) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed.push(path.join(dir, name));
  }
  return removed;
}

export async function embedFile(args: EmbedArgs): Promise<number> {
  if (!Number.isInteger(args.batchSize) || args.batchSize < 1) throw new Error(`embed: batch size must be an integer >= 1 (got ${args.batchSize})`);
  if (args.prompt !== undefined && args.promptName !== undefined) throw new Error(`embed: --prompt and --prompt-name "${args.promptName}" both given; use one`);
  if (sameFile(args.input, args.output)) throw new Error(`--output ${args.output} is the input file; write the embeddings to another file`);
  removeStaleTemps(args.output);
  const texts = readTexts(args.input, args.inputFormat);
  let embeddings: Float32Array[];
  const bar = progress('embed');
  const onProgress = (done: number, total: number) => bar.update(done, total);
  const m = await loadOnnxModel(args.model);
  try {
    embeddings = await m.encode(texts, { batchSize: args.batchSize, promptName: args.promptName, prompt: args.prompt, onProgress });
  } finally {
    await m.release();
  }
  bar.done();
  writeEmbeddings(args.output, embeddings);
  return texts.length;
}

/** Write to a temporary file in the output's folder, then rename: a failed or interrupted run
 * leaves the previous output as it was and no partial file. */
function writeEmbeddings(output: string, embeddings: Float32Array[]): void {
  const tmp = tempName(output, process.pid);
  const removeTmp = () => fs.rmSync(tmp, { force: true });
  try {
    fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
    process.on('exit', removeTmp); // Ctrl-C exits through process.exit
    // Line by line: the whole output as one string passes V8's string limit (~512 MiB) at about
    // 30k embeddings of 768 dimensions.
    const fd = fs.openSync(tmp, 'w');
    try {
      for (const e of embeddings) fs.writeSync(fd, JSON.stringify({ embedding: Array.from(e) }) + '\n');
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, output);
  } catch (e) {
    removeTmp();
    throw new Error(`cannot write ${output}: ${(e as Error).message}`);
  } finally {
    process.off('exit', removeTmp);
  }
}
