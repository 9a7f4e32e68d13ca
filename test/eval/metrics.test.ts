import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_KEYS, retrievalMetrics, sentenceTransformersNames, type QueryRanking } from '../../src/eval/metrics.js';

const ranking = (hits: [string, number][], relevant: string[]): QueryRanking => ({
  hits: hits.map(([id, score]) => ({ id, score })),
  relevant: new Set(relevant),
});

// a and c tie at 0.9; a comes first in the input, so it ranks first: relevance [0, 1, 0, 1].
const tied = ranking([['a', 0.9], ['b', 0.5], ['c', 0.9], ['d', 0.1]], ['c', 'd']);
// Two hits only (k = 10 and 100 exceed the list); z is relevant but never retrieved: relevance [0, 1].
const short = ranking([['x', 0.3], ['y', 0.2]], ['y', 'z']);
// 12 relevant documents, all ranked first.
const twelve = ranking(Array.from({ length: 15 }, (_, i) => [`r${i}`, 1 - i / 100] as [string, number]), Array.from({ length: 12 }, (_, i) => `r${i}`));
const log2 = Math.log2;

describe('retrievalMetrics (hand-computed)', () => {
  it('breaks score ties by input order and scores several relevant documents', () => {
    const m = retrievalMetrics([tied]);
    expect(m['accuracy@1']).toBe(0); // a (not relevant) wins the tie; c first would give 1
    expect(m['accuracy@10']).toBe(1);
    expect(m['mrr@10']).toBe(0.5); // first relevant at rank 2
    expect(m['recall@10']).toBe(1); // 2 of 2
    // DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068; ideal = 1 + 1/log2(3) = 1.63093 -> 0.65092
    expect(m['ndcg@10']).toBeCloseTo((1 / log2(3) + 1 / log2(5)) / (1 + 1 / log2(3)), 12);
    expect(m['ndcg@10']).toBeCloseTo(0.65092, 5);
    expect(m['map@100']).toBe(0.5); // (1/2 + 2/4) / min(100, 2)
    expect(m['precision@1']).toBe(0); // [0]
    expect(m['precision@3']).toBe(1 / 3); // [0, 1, 0]
    expect(m['precision@5']).toBe(2 / 5); // 4 hits only, still divided by 5
    expect(m['precision@10']).toBe(2 / 10);
  });

  it('handles k larger than the ranking and relevant documents never retrieved', () => {
    const m = retrievalMetrics([short]);
    expect(m['accuracy@1']).toBe(0);
    expect(m['accuracy@10']).toBe(1);
    expect(m['mrr@10']).toBe(0.5);
    expect(m['recall@10']).toBe(0.5); // y found, z not
    expect(m['recall@100']).toBe(0.5);
    // DCG = 1/log2(3) = 0.63093; ideal (2 relevant) = 1 + 1/log2(3) -> 0.38685
    expect(m['ndcg@10']).toBeCloseTo(0.38685, 5);
    expect(m['map@100']).toBe(0.25); // (1/2) / min(100, 2)
    expect(m['precision@1']).toBe(0);
    expect(m['precision@3']).toBe(1 / 3); // 1 relevant in 2 hits, divided by k = 3
    expect(m['precision@10']).toBe(1 / 10);
  });

  it('caps the ideal DCG at k and divides MAP by min(k, relevant)', () => {
    const m = retrievalMetrics([twelve]);
    expect(m['ndcg@10']).toBeCloseTo(1, 12); // ideal ranking = 10 ones, not 12
    expect(m['recall@10']).toBeCloseTo(10 / 12, 12);
    expect(m['recall@100']).toBe(1);
    expect(m['map@100']).toBeCloseTo(1, 12); // 12 precisions of 1, divided by 12
    for (const k of ['precision@1', 'precision@3', 'precision@5', 'precision@10'] as const) expect(m[k], k).toBe(1);
  });

  it('leaves queries without relevant documents out of every average', () => {
    const none = ranking([['a', 1]], []);
    const m = retrievalMetrics([tied, none, short, twelve]);
    const alone = [tied, short, twelve].map((r) => retrievalMetrics([r]));
    // average over the 3 queries with relevant documents, not 4: mrr = (0.5 + 0.5 + 1) / 3
    expect(m['mrr@10']).toBeCloseTo(2 / 3, 12);
    for (const k of METRIC_KEYS) expect(m[k]).toBeCloseTo((alone[0][k] + alone[1][k] + alone[2][k]) / 3, 12);
  });

  it('refuses when no query has a relevant document, and NaN scores', () => {
    expect(() => retrievalMetrics([ranking([['a', 1]], [])])).toThrow(/no query has a relevant document/);
    expect(() => retrievalMetrics([ranking([['a', NaN]], ['a'])])).toThrow(/NaN/);
  });

  it('computes any family at any k asked for, and names an unknown one', () => {
    expect(retrievalMetrics([tied], ['precision@2', 'recall@1'])).toEqual({ 'precision@2': 0.5, 'recall@1': 0 });
    expect(() => retrievalMetrics([tied], ['precission@10'])).toThrow(/unknown retrieval metric "precission@10"/);
    expect(() => retrievalMetrics([tied], ['ndcg@101'])).toThrow(/unknown retrieval metric "ndcg@101"/);
  });

  it('reports the contract metrics and precision at the evaluator default ks, in that order', () => {
    expect(Object.keys(retrievalMetrics([tied]))).toEqual([
      'ndcg@10', 'mrr@10', 'recall@10', 'recall@100', 'map@100', 'accuracy@1', 'accuracy@10',
      'precision@1', 'precision@3', 'precision@5', 'precision@10',
    ]);
  });

  it('renames to sentence-transformers keys with the cosine prefix, values unchanged', () => {
    const m = retrievalMetrics([tied]);
    const st = sentenceTransformersNames(m);
    expect(Object.keys(st)).toContain('cosine_ndcg@10');
    expect(Object.keys(st)).toContain('cosine_precision@1');
    expect(st['cosine_map@100']).toBe(m['map@100']);
    expect(Object.keys(st)).toHaveLength(METRIC_KEYS.length);
  });
});

describe('retrievalMetrics against sentence-transformers', () => {
  // Rankings with many ties, lists of 0 to 130 hits, 0 to 12 relevant documents; expected values
  // from InformationRetrievalEvaluator.compute_metrics itself (test/fixtures/st-ir-metrics.py).
  const fixture = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../fixtures/st-ir-metrics.json'), 'utf8')) as {
    queries: { hits: [string, number][]; relevant: string[] }[];
    expected: Record<string, number>;
  };

  it('matches every metric to 1e-12', () => {
    const m = retrievalMetrics(fixture.queries.map((q) => ranking(q.hits, q.relevant)));
    for (const k of METRIC_KEYS.filter((k) => k in fixture.expected)) expect(Math.abs(m[k] - fixture.expected[k]), k).toBeLessThan(1e-12);
  });

  it('matches every metric the fixture holds, precision@10 and @100 included, to 1e-12', () => {
    const keys = Object.keys(fixture.expected);
    expect(keys).toEqual(expect.arrayContaining(['precision@10', 'precision@100']));
    const m = retrievalMetrics(fixture.queries.map((q) => ranking(q.hits, q.relevant)), keys);
    for (const k of keys) expect(Math.abs(m[k] - fixture.expected[k]), k).toBeLessThan(1e-12);
  });
});
