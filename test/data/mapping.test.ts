// Column mapping: paths into nested records, separate negative columns, scores, `$file`, the
// WebFAQ presets, and the problems it reports (missing, empty, wrong type) with the field's name.
import { describe, expect, test } from 'vitest';
import type { ColumnMap } from '../../src/data/config.js';
import { compileMapping } from '../../src/data/mapping.js';
import { DEFAULT_COLUMNS, PRESETS } from '../../src/data/presets.js';
import { fixtureRecords } from './helpers.js';

const cols = (c: Partial<ColumnMap>): ColumnMap => ({ ...DEFAULT_COLUMNS, ...c });
const REQ = new Set<keyof ColumnMap>(['query', 'positive', 'negatives']);

describe('mapping', () => {
  test('hard_negatives preset: negatives[].document and negatives[].cross_encoder_score', () => {
    const m = compileMapping(cols(PRESETS.hard_negatives), REQ);
    const rec = fixtureRecords()[0];
    expect(m.map(rec, 'x')).toEqual({
      query: 'de question 0 about invoice',
      positive: 'de answer 0 about invoice',
      positiveScore: 8,
      language: 'de',
      negatives: rec.negatives.map((n: any) => n.document),
      negativeScores: [6, 7.5, 4, 5],
    });
    expect(m.needs).toEqual({ wanted: ['query', 'positive', 'negatives', 'positive_score', 'language'], required: ['query', 'positive', 'negatives'] });
  });

  test('webfaq_qa preset: question/answer, language from the file name, no negatives', () => {
    const m = compileMapping(cols(PRESETS.webfaq_qa), new Set(['query', 'positive']));
    const row = { id: '1', origin: 'x.de', url: 'https://x.de/faq', question: 'Wie?', answer: 'So.', semantic_similarity_score: 0.8, topic: 't', question_type: 'q' };
    expect(m.map(row, 'de')).toEqual({ query: 'Wie?', positive: 'So.', negatives: [], language: 'de' });
    expect(m.needs.wanted).toEqual(['question', 'answer']);
  });

  test('separate negative columns and a nested path', () => {
    const m = compileMapping(cols({ query: 'anchor', positive: 'pos', negatives: ['negative_1', 'negative_2'], language: 'meta.lang' }), REQ);
    expect(m.map({ anchor: 'q', pos: 'p', negative_1: 'a', negative_2: 'b', meta: { lang: 'en' } }, 'f')).toEqual({
      query: 'q',
      positive: 'p',
      negatives: ['a', 'b'],
      language: 'en',
    });
    expect(m.map({ anchor: 'q', pos: 'p', negative_1: 'a', meta: { lang: 'en' } }, 'f')).toEqual({ field: 'negative_2', reason: 'missing' });
    // positive_score and negative_scores keep their default columns, read when present
    expect(m.needs.wanted).toEqual(['anchor', 'pos', 'negative_1', 'negative_2', 'positive_score', 'negative_scores', 'meta']);
  });

  test('optional fields may be absent, required ones may not', () => {
    const m = compileMapping(cols({}), new Set(['query', 'positive']));
    expect(m.map({ query: 'q', positive: 'p' }, 'f')).toEqual({ query: 'q', positive: 'p', negatives: [] });
    expect(m.map({ query: 'q' }, 'f')).toEqual({ field: 'positive', reason: 'missing' });
    expect(m.map({ query: 'q', positive: null }, 'f')).toEqual({ field: 'positive', reason: 'missing' });
    // negatives none of which has a score: the scores are absent, not bad
    const hn = compileMapping(cols(PRESETS.hard_negatives), REQ);
    expect(hn.map({ query: 'q', positive: 'p', negatives: [{ document: 'a' }, { document: 'b' }] }, 'f')).toEqual({
      query: 'q',
      positive: 'p',
      negatives: ['a', 'b'],
    });
  });

  test('bad values name the field and say what is wrong', () => {
    const m = compileMapping(cols(PRESETS.hard_negatives), REQ);
    const good = fixtureRecords()[0];
    const bad = (patch: object) => m.map({ ...good, ...patch }, 'x');
    expect(bad({ query: '  ' })).toEqual({ field: 'query', reason: 'empty' });
    expect(bad({ positive: 7 })).toEqual({ field: 'positive', reason: 'not a string (got number)' });
    expect(bad({ negatives: 'a b' })).toEqual({ field: 'negatives[].document', reason: 'negatives is not a list (got string "a b")' });
    expect(bad({ negatives: [{ document: 'a', cross_encoder_score: 1 }, { cross_encoder_score: 2 }] })).toEqual({
      field: 'negatives[].document',
      reason: 'element 1: missing',
    });
    expect(bad({ negatives: [{ document: 'a', cross_encoder_score: '3.2' }] })).toEqual({
      field: 'negatives[].cross_encoder_score',
      reason: 'element 0: not a number (got string "3.2")',
    });
    expect(bad({ positive_score: 'high' })).toEqual({ field: 'positive_score', reason: 'not a number (got string "high")' });
    expect(bad({ language: '' })).toEqual({ field: 'language', reason: 'empty' });
    // a list of plain strings where the default column expects one
    const plain = compileMapping(cols({}), REQ);
    expect(plain.map({ query: 'q', positive: 'p', negatives: [{ text: 'n' }] }, 'x')).toEqual({
      field: 'negatives',
      reason: 'element 0: not a string (got object)',
    });
    expect(plain.map({ query: 'q', positive: 'p', negatives: ['a', 'b'], negative_scores: [1] }, 'x')).toEqual({
      field: 'negative_scores',
      reason: '1 scores for 2 negatives',
    });
  });

  test('Parquet INT64 scores arrive as bigint and count as numbers', () => {
    const m = compileMapping(cols({}), REQ);
    expect(m.map({ query: 'q', positive: 'p', negatives: ['a'], positive_score: 3n, negative_scores: [1n] }, 'x')).toMatchObject({
      positiveScore: 3,
      negativeScores: [1],
    });
  });

  test('a malformed path is a recipe error', () => {
    expect(() => compileMapping(cols({ negatives: 'a[].b[].c' }), REQ)).toThrow(/data\.columns\.negatives: "a\[\]\.b\[\]\.c" is not a column path/);
  });
});
