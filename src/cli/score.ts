// `densetrain score`: a cross-encoder's score for each (query, document) record of a JSONL file.
// Each output line is the input record plus `logit` (the raw model output) and `score` (what
// sentence-transformers' CrossEncoder.predict returns: the sigmoid of the logit for one label),
// in input order. Records are read, scored and written a chunk at a time, so memory does not grow
// with the file; the output appears under its name only once complete.
import fs from 'node:fs';
import path from 'node:path';
import { readJsonl } from '../data/jsonl.js';
import { describeLocation } from '../data/reader.js';
import { type CrossEncoder, loadCrossEncoder } from '../graphs/cross-encoder.js';
import { progress } from '../progress.js';

export interface ScoreArgs {
  model: string;
  input: string;
  output: string;
  queryColumn?: string;
  documentColumn?: string;
  batchSize?: number;
  maxLength?: number;
}

export const SCORE_FIELDS = ['logit', 'score'] as const;
/** Records scored per chunk: enough for full batches, few enough to keep memory flat. */
const CHUNK = 2048;

type Rec = { value: Record<string, unknown>; pair: [string, string] };

/** The (query, document) pair of one record, or a clear error naming the file, line and field. */
function pairOf(value: Record<string, unknown>, where: string, q: string, d: string): [string, string] {
  for (const f of [q, d]) {
    if (typeof value[f] !== 'string') throw new Error(`${where}: field "${f}" is ${f in value ? 'not a string' : 'missing'}`);
  }
  for (const f of SCORE_FIELDS) {
    if (f in value) throw new Error(`${where}: the record already has a "${f}" field, which densetrain score writes; rename or remove it`);
  }
  return [value[q] as string, value[d] as string];
}

async function writeChunk(ce: CrossEncoder, recs: Rec[], fd: number, batchSize: number): Promise<void> {
  const { logits, scores } = await ce.predict(recs.map((r) => r.pair), { batchSize });
  const lines = recs.map((r, i) => JSON.stringify({ ...r.value, logit: logits[i], score: scores[i] }) + '\n');
  fs.writeSync(fd, lines.join(''));
}

export async function scoreFile(args: ScoreArgs): Promise<number> {
  const kind = args.input.endsWith('.jsonl.gz') ? 'jsonl.gz' : args.input.endsWith('.jsonl') ? 'jsonl' : undefined;
  if (!kind) throw new Error(`${args.input}: --input must be a .jsonl or .jsonl.gz file of {"query", "document"} records`);
  if (!fs.existsSync(args.input)) throw new Error(`${args.input}: no such file`);
  if (!args.output.endsWith('.jsonl')) throw new Error(`${args.output}: --output must be a .jsonl file`);
  if (path.resolve(args.output) === path.resolve(args.input)) throw new Error(`${args.output}: --output must differ from --input (the input is kept as it is)`);
  const [q, d] = [args.queryColumn ?? 'query', args.documentColumn ?? 'document'];
  const batchSize = args.batchSize ?? 32;

  const ce = await loadCrossEncoder(args.model, { maxLength: args.maxLength });
  fs.mkdirSync(path.dirname(path.resolve(args.output)), { recursive: true });
  const tmp = `${args.output}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  const size = fs.statSync(args.input).size;
  const bar = progress('score');
  let n = 0;
  try {
    let chunk: Rec[] = [];
    for await (const r of readJsonl({ path: args.input, kind, stem: '' })) {
      const where = `${args.input}:${describeLocation(r.loc).replace(/^line /, '')}`;
      if (r.problem) throw new Error(`${where}: ${r.problem.reason}`);
      const value = r.value as Record<string, unknown>;
      chunk.push({ value, pair: pairOf(value, where, q, d) });
      if (chunk.length === CHUNK) {
        await writeChunk(ce, chunk, fd, batchSize);
        n += chunk.length;
        chunk = [];
        if (r.after.byte !== undefined) bar.update(r.after.byte, size, `${n} pairs`);
      }
    }
    if (chunk.length > 0) await writeChunk(ce, chunk, fd, batchSize);
    n += chunk.length;
    fs.closeSync(fd);
    fs.renameSync(tmp, args.output);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  } finally {
    bar.done();
    await ce.release();
  }
  return n;
}
