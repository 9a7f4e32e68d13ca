import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { documentText, readBeir } from '../../src/data/beir.js';
import { removeBeirDirs, writeBeir, type BeirFiles } from './beir-fixture.js';

afterAll(removeBeirDirs);

const good: BeirFiles = {
  corpus: [
    { _id: 'd1', title: 'Paris', text: 'The capital of France.' },
    { _id: 'd2', text: 'No title here.' },
    { _id: 3, title: null, text: 'An integer id and a null title.', extra: 'ignored' },
  ],
  queries: [{ _id: 'q1', text: 'capital of france' }, { _id: 'q2', text: 'unjudged query' }, { _id: 'q3', text: 'numbers' }],
  qrels: { test: [['q1', 'd1', 1], ['q1', 'd2', 0], ['q3', '3', 2]], dev: [['q2', 'd2', 1]] },
};

describe('readBeir', () => {
  it('reads corpus, queries and the split\'s qrels in file order', () => {
    const set = readBeir(writeBeir(good));
    expect([...set.corpus]).toEqual([
      ['d1', { title: 'Paris', text: 'The capital of France.' }],
      ['d2', { title: '', text: 'No title here.' }],
      ['3', { title: '', text: 'An integer id and a null title.' }],
    ]);
    expect([...set.queries.keys()]).toEqual(['q1', 'q2', 'q3']);
    expect([...set.qrels].map(([q, docs]) => [q, [...docs]])).toEqual([
      ['q1', [['d1', 1], ['d2', 0]]],
      ['q3', [['3', 2]]],
    ]);
    expect([...readBeir(writeBeir(good), 'dev').qrels.keys()]).toEqual(['q2']);
    expect(documentText(set.corpus.get('d1')!)).toBe('Paris The capital of France.');
    expect(documentText(set.corpus.get('d2')!)).toBe('No title here.');
  });

  it('takes CRLF line ends, a byte-order mark and blank lines', () => {
    const dir = writeBeir(good);
    fs.writeFileSync(path.join(dir, 'queries.jsonl'), '\ufeff{"_id":"q1","text":"a"}\r\n\r\n{"_id":"q3","text":"b"}\r\n');
    fs.writeFileSync(path.join(dir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\n');
    const set = readBeir(dir);
    expect([...set.queries]).toEqual([['q1', 'a'], ['q3', 'b']]);
    expect([...set.qrels.get('q1')!]).toEqual([['d1', 1]]);
  });

  it('reads lines that straddle its 1 MiB read chunks, multi-byte characters included', () => {
    const long = 'é€𝄞'.repeat(150_000); // ~1.35 MB of 2-, 3- and 4-byte characters
    const dir = writeBeir({ ...good, corpus: [{ _id: 'd0', text: 'short' }, { _id: 'd1', text: long }, { _id: 'd2', text: long + '!' }, { _id: '3', text: 'end' }] });
    const set = readBeir(dir);
    expect(set.corpus.get('d1')!.text).toBe(long);
    expect(set.corpus.get('d2')!.text).toBe(long + '!');
    expect(set.corpus.get('3')!.text).toBe('end');
  });

  const cases: [string, BeirFiles, RegExp][] = [
    ['a missing corpus file', { ...good, corpus: undefined }, /corpus\.jsonl: not found/],
    ['a missing qrels split', { ...good, qrels: { dev: [] } }, /qrels[/\\]test\.tsv: not found \(split "test"; the folder has: dev\)/],
    ['a line that is not JSON', { ...good, corpus: [good.corpus![0], '{"_id": "d2", text:'] }, /corpus\.jsonl line 2: not JSON/],
    ['a line that is not an object', { ...good, queries: ['["q1"]'] }, /queries\.jsonl line 1: not a JSON object/],
    ['a missing _id', { ...good, corpus: [{ text: 'x' }] }, /corpus\.jsonl line 1, field "_id": missing/],
    ['a missing text', { ...good, queries: [{ _id: 'q1' }] }, /queries\.jsonl line 1, field "text": missing/],
    ['a text that is not a string', { ...good, corpus: [{ _id: 'd1', text: 5 }] }, /corpus\.jsonl line 1, field "text": expected a string, got 5/],
    ['a duplicate _id', { ...good, corpus: [...good.corpus!, { _id: 'd1', text: 'again' }] }, /corpus\.jsonl line 4, field "_id": "d1" appears a second time/],
    ['an empty corpus', { ...good, corpus: [''] }, /corpus\.jsonl: the corpus is empty/],
    ['qrels naming an unknown query', { ...good, qrels: { test: [['q1', 'd1', 1], ['q9', 'd1', 1]] } }, /test\.tsv line 3, field "query-id": "q9" is not in queries\.jsonl/],
    ['qrels naming an unknown document', { ...good, qrels: { test: [['q1', 'd9', 1]] } }, /test\.tsv line 2, field "corpus-id": "d9" is not in corpus\.jsonl/],
    ['a bad score', { ...good, qrels: { test: [['q1', 'd1', 'high']] } }, /test\.tsv line 2, field "score": expected an integer, got "high"/],
    ['a fractional score', { ...good, qrels: { test: [['q1', 'd1', 0.5]] } }, /test\.tsv line 2, field "score": expected an integer/],
    ['a duplicate judgement', { ...good, qrels: { test: [['q1', 'd1', 1], ['q1', 'd1', 2]] } }, /test\.tsv line 3: the pair \("q1", "d1"\) appears a second time/],
    ['no judgements', { ...good, qrels: { test: [] } }, /test\.tsv: no judgements after the header/],
  ];
  for (const [what, files, message] of cases) {
    it(`names file, line and field for ${what}`, () => {
      expect(() => readBeir(writeBeir(files))).toThrow(message);
    });
  }

  it('names the file and line for a missing header and for a row with too few fields', () => {
    const dir = writeBeir(good);
    const qrels = path.join(dir, 'qrels', 'test.tsv');
    fs.writeFileSync(qrels, 'q1\td1\t1\n');
    expect(() => readBeir(dir)).toThrow(/test\.tsv line 1: expected the header "query-id\\tcorpus-id\\tscore"/);
    fs.writeFileSync(qrels, 'query-id\tcorpus-id\tscore\nq1 d1 1\n');
    expect(() => readBeir(dir)).toThrow(/test\.tsv line 2: expected 3 tab-separated fields \(query-id, corpus-id, score\), got 1/);
  });
});
