// Data errors name the file, the line and the field: BEIR qrels scores written as integral floats.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBeir } from '../../src/data/beir.js';
import { removeBeirDirs, writeBeir } from '../eval/beir-fixture.js';

afterAll(removeBeirDirs);

const corpus = [{ _id: 'd1', title: '', text: 'one' }, { _id: 'd2', title: 'T', text: 'two' }];
const queries = [{ _id: 'q1', text: 'first' }, { _id: 'q2', text: 'second' }];
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
