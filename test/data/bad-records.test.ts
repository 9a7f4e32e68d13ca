// Bad records, each kind: with on_bad_record: error the stream stops with the file, the line (or
// row group and row) and the field; with skip it goes on, logs each skipped record with its reason
// to rejected.jsonl and counts it. Good records around the bad ones all arrive.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, test } from 'vitest';
import { collect, fixtureRecords, recipeWith, tempDir, openStream } from './helpers.js';

const GOOD = fixtureRecords().slice(0, 6).map((r) => JSON.stringify(r));

interface Case {
  name: string;
  /** The bad line, put third in a file of good lines. */
  line: Buffer | string;
  field: string | null;
  reason: string;
  /** The record is logged as the raw line (it could not be decoded as it is). */
  raw?: boolean;
}

const cases: Case[] = [
  { name: 'a line that is not JSON', line: '{"query": "q", "positive": ', field: null, reason: 'not JSON (' },
  { name: 'a JSON value that is not an object', line: '["q", "p"]', field: null, reason: 'not a JSON object' },
  { name: 'a missing field', line: JSON.stringify({ query: 'q', negatives: [{ document: 'n' }] }), field: 'positive', reason: 'missing' },
  { name: 'an empty field', line: JSON.stringify({ query: '', positive: 'p', negatives: [{ document: 'n' }] }), field: 'query', reason: 'empty' },
  { name: 'negatives that are not a list', line: JSON.stringify({ query: 'q', positive: 'p', negatives: 'n1, n2' }), field: 'negatives[].document', reason: 'negatives is not a list (got string "n1, n2")' },
  {
    name: 'a score that is not a number',
    line: JSON.stringify({ query: 'q', positive: 'p', positive_score: 'nine', negatives: [{ document: 'n', cross_encoder_score: 1 }] }),
    field: 'positive_score',
    reason: 'not a number (got string "nine")',
  },
  {
    name: 'invalid UTF-8',
    line: Buffer.concat([Buffer.from('{"query": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('", "positive": "p", "negatives": [{"document": "n"}]}')]),
    field: 'query',
    reason: 'invalid UTF-8',
    raw: true,
  },
];

function fileWith(dir: string, bad: Buffer | string): string {
  const file = path.join(dir, 'data.jsonl');
  const lines = [GOOD[0], GOOD[1], bad, ...GOOD.slice(2)].map((l) => (typeof l === 'string' ? Buffer.from(l) : l));
  fs.writeFileSync(file, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
  return file;
}

function rejected(dir: string): Record<string, unknown>[] {
  return fs.readFileSync(path.join(dir, 'out', 'rejected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

describe('bad records in JSONL', () => {
  for (const c of cases) {
    test(`${c.name}: error names file, line and field`, async () => {
      const dir = tempDir();
      const file = fileWith(dir, c.line);
      const stream = openStream(recipeWith(dir, { train: [file], shuffle: false }), { tokenize: false });
      const where = `${file}: line 3: ${c.field === null ? '' : `field "${c.field}": `}`;
      const err = await collect(stream).then(() => null, (e: Error) => e.message);
      expect(err?.startsWith(where + c.reason)).toBe(true);
    });

    test(`${c.name}: skip logs it to rejected.jsonl and counts it`, async () => {
      const dir = tempDir();
      const file = fileWith(dir, c.line);
      const stream = openStream(recipeWith(dir, { train: [file], shuffle: false, on_bad_record: 'skip' }), { tokenize: false });
      const batches = await collect(stream);
      expect(batches.flatMap((b) => b.triples.map((t) => t.query))).toEqual(GOOD.map((l) => JSON.parse(l).query));
      expect(stream.stats()).toMatchObject({ records: 6, skipped: 1 });
      const [r] = rejected(dir);
      expect(r).toMatchObject({ file, line: 3, field: c.field });
      expect(String(r.reason).startsWith(c.reason)).toBe(true);
      // the record itself comes along: the raw line when it could not be parsed, else the object
      if (c.field === null || c.raw) expect(r.record).toBe(c.line.toString());
      else expect(r.record).toEqual(JSON.parse(c.line.toString()));
    });
  }
});

describe('bad files', () => {
  test('a truncated .gz: error at the line where it breaks off; skip keeps the lines before it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'data.jsonl.gz');
    const lines = fixtureRecords().map((r) => JSON.stringify(r));
    const gz = zlib.gzipSync(lines.join('\n') + '\n');
    fs.writeFileSync(file, gz.subarray(0, Math.floor(gz.length * 0.6)));
    await expect(collect(openStream(recipeWith(dir, { train: [file], shuffle: false }), { tokenize: false }))).rejects.toThrow(
      new RegExp(`^${file.replace(/\./g, '\\.')}: line \\d+: truncated or corrupt gzip data \\(unexpected end of file\\)`),
    );
    const stream = openStream(recipeWith(dir, { train: [file], shuffle: false, on_bad_record: 'skip' }), { tokenize: false });
    const batches = await collect(stream);
    const got = batches.flatMap((b) => b.triples.map((t) => t.query));
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(fixtureRecords().slice(0, got.length).map((r) => r.query));
    const [r] = rejected(dir);
    expect(r).toMatchObject({ file, line: got.length + 1, field: null });
    expect(stream.stats().skipped).toBe(1);
  });

  test('a Parquet file without the mapped columns: error names the column; skip counts its rows', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'de.parquet');
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'question', data: ['q1', 'q2', 'q3'] },
        { name: 'answer', data: ['a1', 'a2', 'a3'] },
      ],
    });
    const err = /de\.parquet: field "query": columns query, positive, negatives not in the file \(it has: question, answer\)/;
    await expect(collect(openStream(recipeWith(dir, { train: [file] }), { tokenize: false }))).rejects.toThrow(err);
    const stream = openStream(recipeWith(dir, { train: [file], on_bad_record: 'skip' }), { tokenize: false });
    expect(await collect(stream)).toEqual([]);
    expect(stream.stats()).toMatchObject({ records: 0, skipped: 3 });
    expect(rejected(dir)).toEqual([{ file, field: 'query', reason: 'columns query, positive, negatives not in the file (it has: question, answer)' }]);
  });

  test('a Parquet row with an empty field: error names row group and row', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'de.parquet');
    parquetWriteFile({
      filename: file,
      rowGroupSize: 2,
      columnData: [
        { name: 'question', data: ['q1', 'q2', 'q3', 'q4'] },
        { name: 'answer', data: ['a1', 'a2', '', 'a4'] },
      ],
    });
    const recipe = recipeWith(dir, { train: [file], preset: 'webfaq_qa', num_negatives: 0 });
    await expect(collect(openStream(recipe, { tokenize: false }))).rejects.toThrow(/de\.parquet: row group 1, row 0: field "answer": empty/);
  });
});

describe('rejected.jsonl on resume', () => {
  test('a run resumed from a checkpoint logs each bad record once, as an uninterrupted run does', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'data.jsonl');
    // 24 lines, every fourth one bad: batches of 4 good records, rejections all along the file.
    const lines = fixtureRecords().slice(0, 18).map((r) => JSON.stringify(r));
    for (let i = 3; i <= lines.length; i += 4) lines.splice(i, 0, JSON.stringify({ query: `bad ${i}` }));
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const recipe = recipeWith(dir, { train: [file], shuffle: false, on_bad_record: 'skip', num_negatives: 0 });
    await collect(openStream(recipe, { tokenize: false }));
    const whole = rejected(dir);
    expect(whole.length).toBe(lines.length - 18);

    // Stop after one batch: the pipeline has read (and logged) ahead of it.
    const head = openStream(recipe, { tokenize: false });
    await head.next();
    const state = JSON.parse(JSON.stringify(head.state()));
    await collect(head); // read on, as a run that crashed later would have
    await head.close();
    await collect(openStream(recipe, { tokenize: false, resume: state }));
    expect(rejected(dir)).toEqual(whole);
  });
});

describe('rejected.jsonl under read-ahead', () => {
  test('each bad record is logged once however many epochs the stream reads (2 bad records, 3 steps of a many-epoch stream)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'data.jsonl');
    fs.writeFileSync(file, [GOOD[0], 'not json', GOOD[1], '{"query": "q"}', ...GOOD.slice(2)].join('\n') + '\n');
    // max_steps makes the stream endless; prefetch 32 reads many epochs of 6 records ahead of 3 steps.
    const stream = openStream(recipeWith(dir, { train: [file], on_bad_record: 'skip' }, { max_steps: 3, batch_size: 2 }), { tokenize: false });
    const batches = await collect(stream, 3);
    expect(batches).toHaveLength(3);
    expect(rejected(dir).map((r) => r.line)).toEqual([2, 4]);
  });
});
