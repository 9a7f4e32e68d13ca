// Data errors name the file, the line and the field: BEIR qrels scores written as integral floats,
// invalid UTF-8 in BEIR files (read by eval) and in training JSONL (with the field it is in).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, test } from 'vitest';
import { readBeir } from '../../src/data/beir.js';
import { invalidUtf8Fields } from '../../src/data/utf8-fields.js';
import { removeBeirDirs, writeBeir } from '../eval/beir-fixture.js';
import { collect, fixtureRecords, recipeWith, tempDir, openStream } from './helpers.js';

afterAll(removeBeirDirs);

const corpus = [{ _id: 'd1', title: '', text: 'one' }, { _id: 'd2', title: 'T', text: 'two' }];
const queries = [{ _id: 'q1', text: 'first' }, { _id: 'q2', text: 'second' }];
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Bytes C3 28: a two-byte lead followed by a non-continuation byte. */
const BAD = Buffer.from([0xc3, 0x28]);
const withBad = (before: string, after: string) => Buffer.concat([Buffer.from(before), BAD, Buffer.from(after)]);

describe('BEIR qrels scores', () => {
  it('integral floats (1.0, 2.00, 0.0) are read as the integers they are', () => {
    const dir = writeBeir({ corpus, queries, qrels: { test: [['q1', 'd1', '1.0'], ['q1', 'd2', '0.0'], ['q2', 'd2', '2.00']] } });
    const { qrels } = readBeir(dir);
    expect([...qrels.get('q1')!]).toEqual([['d1', 1], ['d2', 0]]);
    expect([...qrels.get('q2')!]).toEqual([['d2', 2]]);
  });

  it.each([
    ['a fraction', '0.5', 'expected an integer (graded relevance), got "0.5"'],
    ['a fraction in float form', '1.25', 'expected an integer (graded relevance), got "1.25"'],
    ['a word', 'high', 'expected an integer, got "high"'],
    ['a number followed by text', '1.0x', 'expected an integer, got "1.0x"'],
    ['an empty cell', '', 'expected an integer, got ""'],
  ])('%s stays an error naming file, line and field', (_, score, reason) => {
    const dir = writeBeir({ corpus, queries, qrels: { test: [['q1', 'd1', 1], ['q2', 'd2', score]] } });
    const file = path.join(dir, 'qrels', 'test.tsv');
    expect(() => readBeir(dir)).toThrow(new RegExp(`^${escape(`${file} line 3, field "score": ${reason}`)}$`));
  });
});

describe('invalid UTF-8 in a BEIR folder: the file, the line (and the field)', () => {
  const good = () => writeBeir({ corpus, queries, qrels: { test: [['q1', 'd1', 1]] } });
  /** Replace line `n` (1-based) of `file` with `bytes`. */
  const putLine = (file: string, n: number, bytes: Buffer) => {
    const lines: Buffer[] = fs.readFileSync(file, 'latin1').split('\n').map((l) => Buffer.from(l, 'latin1'));
    lines[n - 1] = bytes;
    fs.writeFileSync(file, Buffer.concat(lines.flatMap((l, i) => (i ? [Buffer.from('\n'), l] : [l]))));
  };

  it('corpus.jsonl', () => {
    const dir = good();
    const file = path.join(dir, 'corpus.jsonl');
    putLine(file, 2, withBad('{"_id": "d2", "title": "T", "text": "tw', 'o"}'));
    expect(() => readBeir(dir)).toThrow(new RegExp(`^${escape(`${file} line 2, field "text": invalid UTF-8`)}$`));
  });

  it('queries.jsonl, in the _id', () => {
    const dir = good();
    const file = path.join(dir, 'queries.jsonl');
    putLine(file, 1, withBad('{"_id": "q', '1", "text": "first"}'));
    expect(() => readBeir(dir)).toThrow(new RegExp(`^${escape(`${file} line 1, field "_id": invalid UTF-8`)}$`));
  });

  it('qrels/<split>.tsv', () => {
    const dir = good();
    const file = path.join(dir, 'qrels', 'test.tsv');
    putLine(file, 2, withBad('q1\td', '1\t1'));
    expect(() => readBeir(dir)).toThrow(new RegExp(`^${escape(`${file} line 2: invalid UTF-8`)}$`));
  });

  it('a bad byte cut by the 1 MiB read boundary is still found on its line', () => {
    const dir = good();
    const file = path.join(dir, 'corpus.jsonl');
    const head = '{"_id": "d2", "title": "T", "text": "';
    // the lead byte C3 is the last byte of the first 1 MiB read, its follower the first of the next
    const long = 'x'.repeat((1 << 20) - 1 - (fs.readFileSync(file, 'latin1').indexOf('\n') + 1) - head.length);
    putLine(file, 2, withBad(`${head}${long}`, 'o"}'));
    expect(fs.readFileSync(file).indexOf(BAD)).toBe((1 << 20) - 1);
    expect(() => readBeir(dir)).toThrow(new RegExp(`^${escape(`${file} line 2, field "text": invalid UTF-8`)}$`));
  });
});

describe('invalidUtf8Fields', () => {
  it('names top-level and nested fields, keys included', () => {
    expect(invalidUtf8Fields(withBad('{"query": "caf', '", "positive": "p"}'))).toEqual(['query']);
    expect(invalidUtf8Fields(withBad('{"query": "q", "negatives": [{"document": "a"}, {"document": "b', '"}]}'))).toEqual(['negatives[1].document']);
    expect(invalidUtf8Fields(withBad('{"ke', 'y": "v"}'))).toEqual([withBad('ke', 'y').toString('utf8')]);
  });

  it('names no field where it cannot tell: a genuine U+FFFD on the line, or bad bytes outside strings', () => {
    expect(invalidUtf8Fields(withBad('{"query": "\ufffd", "positive": "', '"}'))).toEqual([]);
    expect(invalidUtf8Fields(withBad('{"query": "\\ufffd", "positive": "', '"}'))).toEqual([]);
    expect(invalidUtf8Fields(withBad('{"query": 1', '}'))).toEqual([]);
  });
});

describe('invalid UTF-8 in training JSONL names the field', () => {
  const GOOD = fixtureRecords().slice(0, 6).map((r) => JSON.stringify(r));
  const fileWith = (dir: string, bad: Buffer) => {
    const file = path.join(dir, 'data.jsonl');
    fs.writeFileSync(file, Buffer.concat([GOOD[0], GOOD[1], bad, ...GOOD.slice(2)].flatMap((l) => [Buffer.from(l), Buffer.from('\n')])));
    return file;
  };

  test.each([
    ['the query', withBad('{"query": "caf', '", "positive": "p", "negatives": [{"document": "n"}]}'), 'query'],
    ['a nested negative', withBad('{"query": "q", "positive": "p", "negatives": [{"document": "n"}, {"document": "caf', '"}]}'), 'negatives[1].document'],
  ])('in %s: error and rejected.jsonl name file, line and field', async (_, bad, field) => {
    const dir = tempDir();
    const file = fileWith(dir, bad);
    const err = await collect(openStream(recipeWith(dir, { train: [file], shuffle: false }), { tokenize: false })).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(err).toMatch(new RegExp(`^${escape(`${file}: line 3: field "${field}": invalid UTF-8`)}`));

    const skipDir = tempDir();
    const skipFile = fileWith(skipDir, bad);
    const stream = openStream(recipeWith(skipDir, { train: [skipFile], shuffle: false, on_bad_record: 'skip' }), { tokenize: false });
    await collect(stream);
    const [r] = fs.readFileSync(path.join(skipDir, 'out', 'rejected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(r).toMatchObject({ file: skipFile, line: 3, field, reason: 'invalid UTF-8', record: bad.toString('utf8') });
  });
});
