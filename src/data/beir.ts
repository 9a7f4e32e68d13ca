// A BEIR folder: corpus.jsonl (`_id`, `title`, `text`), queries.jsonl (`_id`, `text`) and
// qrels/<split>.tsv (header `query-id\tcorpus-id\tscore`), read whole and checked: every error
// names the file, the line and the field. Files are read line by line, so a corpus larger than a
// JavaScript string can hold still loads.
import fs from 'node:fs';
import path from 'node:path';
import { readJsonObjectsSync, readLinesSync } from './lines-sync.js';

export interface BeirDocument {
  title: string;
  text: string;
}

export interface BeirSet {
  /** In file order (the order sentence-transformers' evaluator scans the corpus in). */
  corpus: Map<string, BeirDocument>;
  queries: Map<string, string>;
  /** query id -> corpus id -> graded relevance (an integer), in file order. */
  qrels: Map<string, Map<string, number>>;
}

const QRELS_HEADER = 'query-id\tcorpus-id\tscore';

export function readBeir(dir: string, split = 'test'): BeirSet {
  const corpusFile = path.join(dir, 'corpus.jsonl');
  const corpus = new Map<string, BeirDocument>();
  for (const { id, rec, where } of jsonRecords(corpusFile)) {
    if (corpus.has(id)) throw new Error(`${where}, field "_id": "${id}" appears a second time`);
    corpus.set(id, { title: optionalString(rec, 'title', where), text: requiredString(rec, 'text', where) });
  }
  if (corpus.size === 0) throw new Error(`${corpusFile}: the corpus is empty (no documents)`);

  const queriesFile = path.join(dir, 'queries.jsonl');
  const queries = new Map<string, string>();
  for (const { id, rec, where } of jsonRecords(queriesFile)) {
    if (queries.has(id)) throw new Error(`${where}, field "_id": "${id}" appears a second time`);
    queries.set(id, requiredString(rec, 'text', where));
  }
  if (queries.size === 0) throw new Error(`${queriesFile}: no queries`);

  return { corpus, queries, qrels: readQrels(dir, split, queries, corpus) };
}

/** The text a document is embedded as: "title text", as sentence-transformers' BEIR examples join them. */
export function documentText(doc: BeirDocument): string {
  return doc.title ? `${doc.title} ${doc.text}` : doc.text;
}

type JsonRecord = Record<string, unknown>;

/** The JSON objects of a JSONL file with their `_id`; `where` is "FILE line N" for messages. */
function* jsonRecords(file: string): Generator<{ id: string; rec: JsonRecord; where: string }> {
  if (!fs.existsSync(file)) throw new Error(`${file}: not found (a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/<split>.tsv)`);
  for (const { rec, where } of readJsonObjectsSync(file)) {
    yield { id: idOf(rec as JsonRecord, where), rec: rec as JsonRecord, where };
  }
}

function idOf(rec: JsonRecord, where: string): string {
  const id = rec._id;
  if (id === undefined || id === null) throw new Error(`${where}, field "_id": missing`);
  // Integer ids (as pandas writes them) are the same ids the qrels file spells as text.
  if (Number.isInteger(id)) return String(id);
  if (typeof id !== 'string' || id === '') throw new Error(`${where}, field "_id": expected a non-empty string, got ${JSON.stringify(id)}`);
  return id;
}

function requiredString(rec: JsonRecord, field: string, where: string): string {
  const v = rec[field];
  if (v === undefined) throw new Error(`${where}, field "${field}": missing`);
  if (typeof v !== 'string') throw new Error(`${where}, field "${field}": expected a string, got ${JSON.stringify(v)}`);
  return v;
}

/** Many BEIR corpora have no titles, some write them as null. */
function optionalString(rec: JsonRecord, field: string, where: string): string {
  return rec[field] === undefined || rec[field] === null ? '' : requiredString(rec, field, where);
}

/**
 * A graded relevance: an integer, also when written as an integral float (`1.0`, as several
 * published BEIR conversions write it); a fraction or a non-number is an error.
 */
function qrelScore(cell: string, where: string): number {
  const t = cell.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) throw new Error(`${where}, field "score": expected an integer, got ${JSON.stringify(cell)}`);
  const v = Number(t);
  if (!Number.isSafeInteger(v)) throw new Error(`${where}, field "score": expected an integer (graded relevance), got ${JSON.stringify(cell)}`);
  return v;
}

function readQrels(dir: string, split: string, queries: Map<string, string>, corpus: Map<string, BeirDocument>) {
  const file = path.join(dir, 'qrels', `${split}.tsv`);
  if (!fs.existsSync(file)) {
    const qrelsDir = path.join(dir, 'qrels');
    const splits = fs.existsSync(qrelsDir) ? fs.readdirSync(qrelsDir).filter((f) => f.endsWith('.tsv')).map((f) => f.slice(0, -4)) : [];
    throw new Error(`${file}: not found (split "${split}"; ${splits.length ? `the folder has: ${splits.join(', ')}` : 'the folder has no qrels/*.tsv'})`);
  }
  const qrels = new Map<string, Map<string, number>>();
  let sawHeader = false;
  for (const { n, text, invalidUtf8 } of readLinesSync(file)) {
    const where = `${file} line ${n}`;
    if (invalidUtf8) throw new Error(`${where}: invalid UTF-8`);
    if (!sawHeader) {
      if (text.trim() !== QRELS_HEADER) throw new Error(`${where}: expected the header ${JSON.stringify(QRELS_HEADER)}, got ${JSON.stringify(text)}`);
      sawHeader = true;
      continue;
    }
    if (text.trim() === '') continue;
    const cells = text.split('\t');
    if (cells.length !== 3) throw new Error(`${where}: expected 3 tab-separated fields (query-id, corpus-id, score), got ${cells.length}`);
    const [queryId, docId, score] = cells;
    if (!queries.has(queryId)) throw new Error(`${where}, field "query-id": "${queryId}" is not in queries.jsonl`);
    if (!corpus.has(docId)) throw new Error(`${where}, field "corpus-id": "${docId}" is not in corpus.jsonl`);
    const relevance = qrelScore(score, where);
    let docs = qrels.get(queryId);
    if (!docs) qrels.set(queryId, (docs = new Map()));
    if (docs.has(docId)) throw new Error(`${where}: the pair ("${queryId}", "${docId}") appears a second time`);
    docs.set(docId, relevance);
  }
  if (!sawHeader) throw new Error(`${file}: empty (not even the header)`);
  if (qrels.size === 0) throw new Error(`${file}: no judgements after the header`);
  return qrels;
}
