// What `mine` works on, built as sentence-transformers' mine_hard_negatives builds it: the
// (query, positive) records of --data (read by the training pipeline's readers: JSONL, Parquet,
// Arrow, BEIR), grouped by query in order of first appearance (a query with several positives is
// searched once), and the corpus: the --corpus documents, then every positive not among them, with
// duplicates removed (first occurrence wins). Without --corpus the corpus is the positives. The
// corpus texts go to a TextStore on disk; queries stay in memory (they grow with --data, not with
// the corpus).
import fs from 'node:fs';
import path from 'node:path';
import { documentText } from '../data/beir.js';
import type { DataConfig } from '../data/config.js';
import { readJsonObjectsSync } from '../data/lines-sync.js';
import { compileMapping } from '../data/mapping.js';
import { makeRecordReader } from '../data/records.js';
import type { RejectLog } from '../data/rejects.js';
import { makeRng } from '../data/rng.js';
import { listSources } from '../data/sources.js';
import type { TextStore } from './text-store.js';

export interface QueryGroup {
  query: string;
  /** Corpus ids of the query's positives, one per input record (a repeated pair counts twice). */
  positives: number[];
  /** Each record's `language` field, or null. */
  languages: (string | null)[];
}

export interface MiningInput {
  groups: QueryGroup[];
  records: number;
  /** The most positives any query has (widens the first stage, as sentence-transformers does). */
  maxPositives: number;
  /** Positives that --corpus did not hold and were added to the corpus (sentence-transformers does the same). */
  positivesAdded: number;
  /** Documents of --corpus that were a repeat of an earlier one. */
  corpusDuplicates: number;
}

export interface InputOptions {
  data: string;
  corpus?: string[];
  queryColumn: string;
  positiveColumn: string;
  /** Which qrels/<split>.tsv a BEIR --data folder gives pairs from. */
  beirSplit?: string;
}

/** Reads --data and --corpus; the corpus goes into `corpus` (empty, sealed on return). */
export async function readMiningInput(o: InputOptions, corpus: TextStore): Promise<MiningInput> {
  let corpusDuplicates = 0;
  for (const file of o.corpus ?? []) {
    for (const text of corpusTexts(file)) if (!corpus.add(text).added) corpusDuplicates++;
  }
  const givenCorpus = corpus.size;

  const groups: QueryGroup[] = [];
  const byQuery = new Map<string, QueryGroup>();
  let records = 0;
  for await (const r of pairRecords(o)) {
    records++;
    let g = byQuery.get(r.query);
    if (!g) {
      g = { query: r.query, positives: [], languages: [] };
      byQuery.set(r.query, g);
      groups.push(g);
    }
    g.positives.push(corpus.add(r.positive).id);
    g.languages.push(r.language);
  }
  corpus.seal();
  if (records === 0) throw new Error(`${o.data}: no (query, positive) records`);
  // a loop, not Math.max(...): a spread of a million queries overflows the stack
  let maxPositives = 0;
  for (const g of groups) maxPositives = Math.max(maxPositives, g.positives.length);
  const positivesAdded = o.corpus?.length ? corpus.size - givenCorpus : 0;
  return { groups, records, maxPositives, positivesAdded, corpusDuplicates };
}

/** The documents of a --corpus entry: JSONL with `text` (and optional `title`, as BEIR), or a BEIR folder. */
export function* corpusTexts(entry: string): Generator<string> {
  let file = entry;
  if (fs.existsSync(entry) && fs.statSync(entry).isDirectory()) {
    file = path.join(entry, 'corpus.jsonl');
    if (!fs.existsSync(file)) throw new Error(`--corpus ${entry}: a folder but not a BEIR folder (no corpus.jsonl)`);
  } else if (!fs.existsSync(entry)) throw new Error(`--corpus ${entry}: does not exist`);
  else if (!entry.endsWith('.jsonl')) throw new Error(`--corpus ${entry}: expected a .jsonl file (one {"text": ...} per line) or a BEIR folder`);
  for (const { rec, where } of readJsonObjectsSync(file)) {
    const text = rec.text;
    if (typeof text !== 'string') throw new Error(`${where}, field "text": ${text === undefined ? 'missing' : `expected a string, got ${JSON.stringify(text)}`} (every corpus document needs its text)`);
    const title = rec.title;
    if (title !== undefined && title !== null && typeof title !== 'string') throw new Error(`${where}, field "title": expected a string, got ${JSON.stringify(title)}`);
    yield documentText({ title: title ?? '', text });
  }
}

interface Pair {
  query: string;
  positive: string;
  language: string | null;
}

/** The records of --data through the training pipeline's readers and column mapping; a bad record stops with its file, place and field. */
async function* pairRecords(o: InputOptions): AsyncGenerator<Pair> {
  let sources;
  try {
    sources = listSources([o.data]);
  } catch (e) {
    throw new Error(`--data: ${(e as Error).message.replace(/^data\.train: /, '')}`);
  }
  const columns = { query: o.queryColumn, positive: o.positiveColumn, negatives: null, positive_score: null, negative_scores: null, language: 'language' };
  const required = new Set<'query' | 'positive'>(['query', 'positive']);
  const mapping = compileMapping(columns, required);
  const beirMapping = compileMapping({ ...columns, query: 'query', positive: 'positive', language: null }, required);
  const data = {
    train: [o.data], columns, num_negatives: 0, negative_sampling: 'first', negatives_skip_top: 0, negatives_max_rank: null,
    false_negative_margin: null, shuffle: false, shuffle_buffer: 1, interleave: 1, batching: 'plain', drop_last: false,
    on_bad_record: 'error', beir_split: o.beirSplit ?? 'train', tokenize_workers: 1, prefetch: 1,
  } satisfies DataConfig;
  // on_bad_record is 'error': the reader throws before it would log anything
  const rejects: RejectLog = { path: '', write: () => {}, close: () => {} };
  const read = { order: sources.map((_, i) => i), nextFile: 0, slots: [], turn: 0 };
  const stats = { records: 0, skipped: 0, languages: {} };
  const unused = makeRng([1, 2, 3, 4]);
  const reader = makeRecordReader({ sources, data, mapping, beirMapping, rejects }, read, stats, { pick: unused, sample: unused });
  try {
    for (let t = await reader.next(); t; t = await reader.next()) yield { query: t.query, positive: t.positive, language: t.language ?? null };
  } catch (e) {
    throw new Error(`--data: ${(e as Error).message.replace(/ \(data\.on_bad_record: skip.*\)$/, '')}`);
  } finally {
    await reader.close();
  }
}
