// `densetrain embed`: texts from JSONL (`text` field) or plain text (one per line) -> JSONL of
// `{"embedding": [...]}` in the same order.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { loadModel } from '../model/model.js';
import { progress } from './progress.js';

export interface EmbedArgs {
  model: string;
  input: string;
  output: string;
  engine: 'tfjs' | 'onnx';
  batchSize: number;
  promptName?: string;
}

/** Texts of an embed input file: JSONL objects with `text`, or one text per line. */
export function readTexts(file: string): string[] {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch {
    throw new Error(`${file}: cannot read the input file`);
  }
  if (file.endsWith('.gz')) raw = zlib.gunzipSync(raw);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (!/\.jsonl(\.gz)?$/.test(file)) return lines.map((l) => l.replace(/\r$/, ''));
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

export async function embedFile(args: EmbedArgs): Promise<number> {
  const texts = readTexts(args.input);
  let embeddings: Float32Array[];
  const bar = progress('embed');
  const onProgress = (done: number, total: number) => bar.update(done, total);
  if (args.engine === 'onnx') {
    const { loadOnnxModel } = await import('../engine/onnx-encoder.js');
    const m = await loadOnnxModel(args.model);
    embeddings = await m.encode(texts, { batchSize: args.batchSize, promptName: args.promptName, onProgress });
    await m.release();
  } else {
    const m = await loadModel(args.model);
    embeddings = await m.encode(texts, { batchSize: args.batchSize, promptName: args.promptName, onProgress });
    m.dispose();
  }
  bar.done();
  const tmp = `${args.output}.tmp-${process.pid}`;
  fs.mkdirSync(path.dirname(path.resolve(args.output)), { recursive: true });
  // Line by line: the whole output as one string passes V8's string limit (~512 MiB) at about
  // 30k embeddings of 768 dimensions.
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const e of embeddings) fs.writeSync(fd, JSON.stringify({ embedding: Array.from(e) }) + '\n');
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, args.output);
  return texts.length;
}
