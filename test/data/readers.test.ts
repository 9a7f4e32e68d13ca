// Readers: JSONL, JSONL.gz, Parquet, Arrow IPC and BEIR folders give the records the files hold
// (checked against JSON.parse of the fixture, or the data the test wrote), with positions that
// resume exactly after any record; globs expand in sorted order.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as arrow from 'apache-arrow';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, test } from 'vitest';
import { readArrow } from '../../src/data/arrow.js';
import { readBeirPairs } from '../../src/data/beir-pairs.js';
import { expandGlob } from '../../src/data/glob.js';
import { readJsonl } from '../../src/data/jsonl.js';
import { readParquet } from '../../src/data/parquet.js';
import type { RawRecord, Reader } from '../../src/data/reader.js';
import { listSources, type Source } from '../../src/data/sources.js';
import { FIXTURES, HARD_NEGATIVES, fixtureRecords, tempDir } from './helpers.js';

async function all(r: Reader): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const x of r) out.push(x);
  return out;
}

const src = (p: string): Source => listSources([p])[0];
const NEEDS = { wanted: ['query', 'positive', 'positive_score', 'language', 'negatives'], required: ['query', 'positive'] };

/** Reading from each record's `after` gives exactly the records that follow it. */
async function expectResumable(open: (from?: Record<string, number>) => Reader): Promise<void> {
  const full = await all(open());
  for (const cut of new Set([0, Math.min(4, full.length - 1), full.length - 2, full.length - 1])) {
    const rest = await all(open(full[cut].after));
    expect(rest.map((r) => r.value)).toEqual(full.slice(cut + 1).map((r) => r.value));
    expect(rest.map((r) => r.loc)).toEqual(full.slice(cut + 1).map((r) => r.loc));
  }
}

function writeHardNegativesParquet(file: string, rows: Record<string, any>[], rowGroupSize: number): void {
  parquetWriteFile({
    filename: file,
    rowGroupSize,
    columnData: ['query', 'positive', 'positive_score', 'language', 'negatives'].map((name) => ({ name, data: rows.map((r) => r[name]) as never })),
    schema: [
      { name: 'root', num_children: 5 },
      { name: 'query', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'positive', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'positive_score', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
      { name: 'language', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'negatives', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'document', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'cross_encoder_score', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    ],
  });
}

function hardNegativesTable(rows: Record<string, any>[]): arrow.Table {
  const neg = new arrow.Struct([new arrow.Field('document', new arrow.Utf8(), true), new arrow.Field('cross_encoder_score', new arrow.Float64(), true)]);
  return new arrow.Table({
    query: arrow.vectorFromArray(rows.map((r) => r.query), new arrow.Utf8()),
    positive: arrow.vectorFromArray(rows.map((r) => r.positive), new arrow.Utf8()),
    positive_score: arrow.vectorFromArray(rows.map((r) => r.positive_score), new arrow.Float64()),
    language: arrow.vectorFromArray(rows.map((r) => r.language), new arrow.Utf8()),
    negatives: arrow.vectorFromArray(rows.map((r) => r.negatives), new arrow.List(new arrow.Field('item', neg, true))),
  });
}

describe('JSONL', () => {
  test('gives every line as JSON.parse does, with its line number and byte offset', async () => {
    const records = await all(readJsonl(src(HARD_NEGATIVES)));
    expect(records.map((r) => r.value)).toEqual(fixtureRecords());
    const lines = fs.readFileSync(HARD_NEGATIVES, 'utf8').split('\n');
    let byte = 0;
    records.forEach((r, i) => {
      byte += Buffer.byteLength(lines[i]) + 1;
      expect(r.loc).toEqual({ line: i + 1 });
      expect(r.after).toEqual({ line: i + 1, byte });
    });
  });

  test('resumes at the byte after any record', async () => {
    await expectResumable((from) => readJsonl(src(HARD_NEGATIVES), from));
  });

  test('lines longer than the read chunk, CRLF, blank lines and no final newline', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'long.jsonl');
    const long = Array.from({ length: 5 }, (_, i) => ({ i, text: String(i).repeat(700_000) }));
    fs.writeFileSync(file, long.map((r) => JSON.stringify(r)).join('\r\n') + '\r\n\n  \n' + JSON.stringify({ i: 5 }));
    const records = await all(readJsonl(src(file)));
    expect(records.map((r) => r.value)).toEqual([...long, { i: 5 }]);
    expect(records.map((r) => r.loc.line)).toEqual([1, 2, 3, 4, 5, 8]);
    expect(records.at(-1)!.after.byte).toBe(fs.statSync(file).size);
  });

  test('.jsonl.gz gives the same records and resumes by line', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'hn.jsonl.gz');
    fs.writeFileSync(file, zlib.gzipSync(fs.readFileSync(HARD_NEGATIVES)));
    const records = await all(readJsonl(src(file)));
    expect(records.map((r) => r.value)).toEqual(fixtureRecords());
    expect(records[6].after).toEqual({ line: 7 });
    await expectResumable((from) => readJsonl(src(file), from));
  });
});

describe('Parquet', () => {
  test('reads row group by row group, nested list<struct> negatives included', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'hn.parquet');
    const rows = fixtureRecords();
    writeHardNegativesParquet(file, rows, 5);
    const records = await all(readParquet(src(file), NEEDS, {}));
    expect(records.map((r) => r.value)).toEqual(rows);
    expect(records[7].loc).toEqual({ row_group: 1, row: 2 });
    expect(records[4].after).toEqual({ group: 1, row: 0 });
    await expectResumable((from) => readParquet(src(file), NEEDS, from));
  });

  test('reads only the mapped columns', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'hn.parquet');
    writeHardNegativesParquet(file, fixtureRecords(), 10);
    const [first] = await all(readParquet(src(file), { wanted: ['query', 'positive'], required: ['query'] }, {}));
    expect(Object.keys(first.value as object).sort()).toEqual(['positive', 'query']);
  });
});

describe('Arrow IPC', () => {
  for (const format of ['file', 'stream'] as const) {
    test(`${format} format, several record batches`, async () => {
      const dir = tempDir();
      const file = path.join(dir, `hn-${format}.arrow`);
      const rows = fixtureRecords();
      const table = hardNegativesTable(rows.slice(0, 10)).concat(hardNegativesTable(rows.slice(10)));
      fs.writeFileSync(file, arrow.tableToIPC(table, format));
      const records = await all(readArrow(src(file), NEEDS, {}));
      expect(records.map((r) => r.value)).toEqual(rows);
      expect(records[12].loc).toEqual({ batch: 1, row: 2 });
      await expectResumable((from) => readArrow(src(file), NEEDS, from));
    });
  }
});

describe('BEIR folder', () => {
  test('every qrels pair with score > 0 is a (query, "title text") record', async () => {
    const dir = path.join(FIXTURES, 'beir-mini');
    const records = await all(readBeirPairs(src(dir), 'train', {}));
    expect(records.map((r) => r.value)).toEqual([
      { query: 'query text 0', positive: 'Title 0 document text 0' },
      { query: 'query text 1', positive: 'Title 2 document text 2' },
      { query: 'query text 2', positive: 'document text 3' },
      { query: 'query text 2', positive: 'Title 4 document text 4' },
    ]);
    expect(records[3].loc).toEqual({ query_id: 'q2', corpus_id: 'd4' });
    await expectResumable((from) => readBeirPairs(src(dir), 'train', from));
  });
});

describe('sources and globs', () => {
  test('globs expand sorted; kinds and stems come from the names', () => {
    const dir = tempDir();
    for (const f of ['b.jsonl', 'a.jsonl', 'c.jsonl.gz', 'sub/deep/de.parquet', 'sub/fr.parquet', 'x.txt', '.hidden.jsonl'])
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true }), fs.writeFileSync(path.join(dir, f), '');
    expect(expandGlob(`${dir}/*.jsonl`)).toEqual([`${dir}/a.jsonl`, `${dir}/b.jsonl`]);
    expect(expandGlob(`${dir}/**/*.parquet`)).toEqual([`${dir}/sub/deep/de.parquet`, `${dir}/sub/fr.parquet`]);
    expect(expandGlob(`${dir}/{b,c}.jsonl*`)).toEqual([`${dir}/b.jsonl`, `${dir}/c.jsonl.gz`]);
    expect(expandGlob(`${dir}/[ab].json?`)).toEqual([`${dir}/a.jsonl`, `${dir}/b.jsonl`]);
    const sources = listSources([`${dir}/c.jsonl.gz`, `${dir}/**/*.parquet`, path.join(FIXTURES, 'beir-mini')]);
    expect(sources.map((s) => [s.kind, s.stem])).toEqual([
      ['jsonl.gz', 'c'],
      ['parquet', 'de'],
      ['parquet', 'fr'],
      ['beir', 'beir-mini'],
    ]);
    expect(() => listSources([`${dir}/x.txt`])).toThrow(/x\.txt has an unknown extension/);
    expect(() => listSources([`${dir}/*.arrow`])).toThrow(/matches no file/);
    expect(() => listSources([path.join(dir, 'sub')])).toThrow(/not a BEIR folder/);
  });
});
