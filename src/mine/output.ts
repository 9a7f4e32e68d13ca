// The mining output file, appended query chunk by query chunk, and how a run resumes it. Next to it
// OUTPUT.mine.json holds the arguments of the run that created it: a run finding both resumes
// (with the same arguments only), and an existing OUTPUT without it is someone else's file and is
// never touched. Resuming truncates only lines this command wrote: the torn last line of a crash
// and the lines of the last, possibly unfinished, query chunk, which is mined again; chunks are
// fixed slices of the query list, so the resumed file is the one a straight run writes.
import fs from 'node:fs';
import { readLinesSync } from '../data/lines-sync.js';
import { writeJsonAtomically } from '../atomic-file.js';

export type OutputFormat = 'grouped' | 'n-tuple';

export interface Row {
  query: string;
  positive: string;
  positiveScore: number;
  language: string | null;
  negatives: { document: string; score: number }[];
}

/**
 * One output line. grouped: the layout `preset: hard_negatives` reads. n-tuple: the row
 * mine_hard_negatives returns for output_format "n-tuple" with its scores (the positive's first).
 */
export function formatRow(r: Row, format: OutputFormat, columns: { query: string; positive: string }): string {
  if (format === 'grouped') {
    return JSON.stringify({
      query: r.query,
      positive: r.positive,
      positive_score: r.positiveScore,
      language: r.language,
      negatives: r.negatives.map((n) => ({ document: n.document, cross_encoder_score: n.score })),
    });
  }
  const row: Record<string, unknown> = { [columns.query]: r.query, [columns.positive]: r.positive };
  r.negatives.forEach((n, i) => (row[`negative_${i + 1}`] = n.document));
  row.scores = [r.positiveScore, ...r.negatives.map((n) => n.score)];
  return JSON.stringify(row);
}

export function sidecarPath(output: string): string {
  return `${output}.mine.json`;
}

export interface OpenedOutput {
  fd: number;
  /** The first query (index into the query groups) still to mine. */
  startGroup: number;
  resumed: boolean;
}

/**
 * Open OUTPUT for appending. `args` (flag -> value) are compared with the sidecar's on resume;
 * `groupOf` maps a written line's query to its query index; `chunk` is the query chunk size.
 */
export function openOutput(output: string, args: Record<string, unknown>, queryKey: string, groupOf: Map<string, number>, chunk: number): OpenedOutput {
  const side = sidecarPath(output);
  if (!fs.existsSync(output)) {
    writeJsonAtomically(side, { command: 'densetrain mine', args, chunk });
    return { fd: fs.openSync(output, 'wx'), startGroup: 0, resumed: false };
  }
  if (!fs.existsSync(side))
    throw new Error(`--output ${output}: the file exists and was not written by densetrain mine (no ${side}); choose another --output or move it away`);
  let saved: { args?: Record<string, unknown>; chunk?: number };
  try {
    saved = JSON.parse(fs.readFileSync(side, 'utf8'));
  } catch (e) {
    throw new Error(`${side}: cannot read it (${(e as Error).message}); it records the arguments of the run that wrote ${output}`);
  }
  for (const key of new Set([...Object.keys(args), ...Object.keys(saved.args ?? {})])) {
    const then = JSON.stringify(saved.args?.[key] ?? null);
    const now = JSON.stringify(args[key] ?? null);
    if (then !== now)
      throw new Error(`cannot resume ${output}: --${key} was ${then} for the lines already written, now ${now}; run again with the same arguments, or choose another --output`);
  }
  if (saved.chunk !== chunk) throw new Error(`cannot resume ${output}: it was written in chunks of ${saved.chunk} queries, this version mines ${chunk}`);
  const { keepBytes, startGroup } = resumePoint(output, queryKey, groupOf, chunk);
  fs.truncateSync(output, keepBytes);
  return { fd: fs.openSync(output, 'a'), startGroup, resumed: true };
}

/** Where to cut the file and restart: at the first line of the last written line's query chunk. */
function resumePoint(output: string, queryKey: string, groupOf: Map<string, number>, chunk: number): { keepBytes: number; startGroup: number } {
  const lines = scanLines(output, queryKey, groupOf);
  let last = -1;
  for (const l of lines) last = l.group;
  if (last < 0) return { keepBytes: 0, startGroup: 0 };
  const startGroup = Math.floor(last / chunk) * chunk;
  for (const l of scanLines(output, queryKey, groupOf)) if (l.group >= startGroup) return { keepBytes: l.offset, startGroup };
  throw new Error('unreachable: the last line is at or after its own chunk');
}

/** Complete lines with their byte offset and query index; a torn last line (no newline) is left out. */
function* scanLines(output: string, queryKey: string, groupOf: Map<string, number>): Generator<{ offset: number; group: number }> {
  const size = fs.statSync(output).size;
  let offset = 0;
  let prev = -1;
  for (const { n, text } of readLinesSync(output)) {
    const end = offset + Buffer.byteLength(text) + 1;
    if (end > size) return; // no newline: the line a crash cut
    let query: unknown;
    try {
      query = (JSON.parse(text) as Record<string, unknown>)[queryKey];
    } catch {
      throw new Error(`${output} line ${n}: not JSON, so this is not the file densetrain mine wrote; choose another --output`);
    }
    const group = typeof query === 'string' ? groupOf.get(query) : undefined;
    if (group === undefined || group < prev)
      throw new Error(`${output} line ${n}: field "${queryKey}" is not the next query of --data in order; the file or the data changed since it was written`);
    prev = group;
    yield { offset, group };
    offset = end;
  }
}


