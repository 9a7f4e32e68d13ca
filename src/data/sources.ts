// Turns the recipe's `data.train` entries (files, globs, BEIR folders) into the ordered list of
// sources the pipeline reads, each with the reader that fits it.
import fs from 'node:fs';
import path from 'node:path';
import { expandGlob, hasGlob } from './glob.js';

export type SourceKind = 'jsonl' | 'jsonl.gz' | 'parquet' | 'arrow' | 'beir';

export interface Source {
  path: string;
  kind: SourceKind;
  /** The name without folder and extensions (`data/de.parquet` -> `de`): the `$file` column. */
  stem: string;
}

const EXTENSIONS: [string, SourceKind][] = [
  ['.jsonl.gz', 'jsonl.gz'],
  ['.jsonl', 'jsonl'],
  ['.parquet', 'parquet'],
  ['.arrow', 'arrow'],
];

export function listSources(entries: string[]): Source[] {
  const sources: Source[] = [];
  for (const entry of entries) {
    const paths = hasGlob(entry) ? expandGlob(entry) : [entry];
    if (paths.length === 0) throw new Error(`data.train: "${entry}" matches no file`);
    for (const p of paths) sources.push(sourceOf(p, entry));
  }
  return sources;
}

function sourceOf(p: string, entry: string): Source {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new Error(`data.train: ${p} does not exist`);
  }
  if (stat.isDirectory()) {
    if (!fs.existsSync(path.join(p, 'corpus.jsonl')))
      throw new Error(`data.train: ${p} is a folder but not a BEIR folder (no corpus.jsonl)`);
    return { path: p, kind: 'beir', stem: path.basename(path.resolve(p)) };
  }
  const match = EXTENSIONS.find(([ext]) => p.endsWith(ext));
  if (!match) {
    const known = EXTENSIONS.map(([ext]) => ext).join(', ');
    throw new Error(`data.train: ${p}${p === entry ? '' : ` (from "${entry}")`} has an unknown extension (known: ${known}, or a BEIR folder)`);
  }
  return { path: p, kind: match[1], stem: path.basename(p).slice(0, -match[0].length) };
}
