import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkData } from '../../src/cli/check-data.js';
import { makeRng, seedRng } from '../../src/data/rng.js';
import { mine } from '../../src/mine/mine.js';
import { emptySkipCounts, selectNegatives, type SelectOptions } from '../../src/mine/select.js';
import { loadRecipe } from '../../src/train/recipe.js';
import { loadCrossEncoder } from '../../src/graphs/cross-encoder.js';
import { BI_ENCODER, CROSS_ENCODER, readJsonl, stCases, tempDir, writeJsonl } from './helpers.js';

const TOP: SelectOptions = { rangeMin: 0, rangeMax: 100, numNegatives: 3, samplingStrategy: 'top' };
const rng = () => makeRng(seedRng(1));
// first-stage order 0..7, scores not in that order
const cands = [0.9, 0.5, 0.8, 0.7, 0.95, 0.6, 0.3, 0.75].map((score, doc) => ({ doc, score }));

describe('selectNegatives (mine_hard_negatives semantics)', () => {
  it('masks the positives, ranks by score, then cuts range_max and range_min', () => {
    const skips = emptySkipCounts();
    // by score: 4 (.95), 0 (.9), 2 (.8), 7 (.75), 3 (.7), 5 (.6), 1 (.5), 6 (.3); doc 0 is a positive
    expect(selectNegatives(cands, new Set([0]), [0.85], TOP, rng(), skips).map((c) => c.doc)).toEqual([4, 2, 7]);
    expect(selectNegatives(cands, new Set([0]), [0.85], { ...TOP, rangeMin: 2, rangeMax: 4 }, rng(), skips).map((c) => c.doc)).toEqual([7, 3]);
  });

  it('margins count against the lowest score of several positives, then max_score and min_score', () => {
    const skips = emptySkipCounts();
    // positives 0 and 2 score 0.9 and 0.8 (hardest 0.8): absolute margin 0.1 removes score + 0.1 > 0.8, i.e. > 0.7
    const abs = selectNegatives(cands, new Set([0, 2]), [0.9, 0.8], { ...TOP, absoluteMargin: 0.1, numNegatives: 10 }, rng(), skips);
    expect(abs.map((c) => c.doc)).toEqual([3, 5, 1, 6]);
    expect(skips.absolute_margin).toBe(2); // docs 4 and 7
    // relative 0.25: removed when > 0.8 * 0.75 = 0.6
    const rel = selectNegatives(cands, new Set([0, 2]), [0.9, 0.8], { ...TOP, relativeMargin: 0.25, numNegatives: 10 }, rng(), skips);
    expect(rel.map((c) => c.doc)).toEqual([5, 1, 6]);
    const band = selectNegatives(cands, new Set(), [1], { ...TOP, maxScore: 0.8, minScore: 0.55, numNegatives: 10 }, rng(), skips);
    expect(band.map((c) => c.doc)).toEqual([2, 7, 3, 5]);
    expect(skips.max_score).toBe(2);
    expect(skips.min_score).toBe(2);
  });

  it('random: a seeded sample of the window, ranked by score, reproducible', () => {
    const opts: SelectOptions = { ...TOP, samplingStrategy: 'random', numNegatives: 3 };
    const draws = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const a = selectNegatives(cands, new Set(), [1], opts, makeRng(seedRng(seed)), emptySkipCounts());
      const b = selectNegatives(cands, new Set(), [1], opts, makeRng(seedRng(seed)), emptySkipCounts());
      expect(a).toEqual(b);
      expect(new Set(a.map((c) => c.doc)).size).toBe(3);
      expect(a.map((c) => c.score)).toEqual(a.map((c) => c.score).sort((x, y) => y - x));
      draws.add(a.map((c) => c.doc).join(','));
    }
    expect(draws.size).toBeGreaterThan(5);
  });
});

describe('the grouped output', () => {
  const dir = tempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is what preset: hard_negatives reads, with each row its language', async () => {
    const fx = stCases();
    const data = writeJsonl(path.join(dir, 'data.jsonl'), fx.data.map((r, i) => ({ ...r, language: i % 2 ? 'de' : 'en' })));
    const output = path.join(dir, 'mined.jsonl');
    const s = await mine({
      model: BI_ENCODER, data, output, firstStage: 'dense', rangeMin: 0, numNegatives: 2, samplingStrategy: 'top', seed: 0,
      queryColumn: 'query', positiveColumn: 'answer', outputFormat: 'grouped', batchSize: 32,
    });
    // no --corpus: the corpus is the 39 distinct positives
    expect(s.corpus).toBe(new Set(fx.data.map((r) => r.answer)).size);
    const rows = readJsonl(output);
    expect(rows.map((r) => r.language)).toEqual(fx.data.map((_, i) => (i % 2 ? 'de' : 'en')));
    expect(Object.keys(rows[0])).toEqual(['query', 'positive', 'positive_score', 'language', 'negatives']);
    const recipeFile = path.join(dir, 'recipe.yaml');
    fs.writeFileSync(recipeFile, [
      `model: {path: ${BI_ENCODER}}`,
      `data: {train: [${output}], preset: hard_negatives, num_negatives: 2, negative_sampling: top, shuffle: false}`,
      'loss: {name: margin_mse}',
      `train: {batch_size: 8, epochs: 1, output_dir: ${path.join(dir, 'run')}}`,
    ].join('\n'));
    const summary = await checkData(loadRecipe(recipeFile));
    expect(summary).toMatchObject({ records: 40, skipped: 0, batches: 5, languages: { en: 20, de: 20 } });
  });
});

describe('bm25 with a cross-encoder', () => {
  const dir = tempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('never embeds the corpus, and writes the cross-encoder scores of exactly the pairs written', async () => {
    const fx = stCases();
    const data = writeJsonl(path.join(dir, 'data.jsonl'), fx.data.slice(0, 8));
    const corpus = writeJsonl(path.join(dir, 'corpus.jsonl'), fx.corpus.map((text) => ({ text })));
    const output = path.join(dir, 'bm25-ce.jsonl');
    const s = await mine({
      model: BI_ENCODER, data, corpus: [corpus], output, firstStage: 'bm25', crossEncoder: CROSS_ENCODER, rangeMin: 0, rangeMax: 10,
      numNegatives: 3, samplingStrategy: 'top', seed: 0, queryColumn: 'query', positiveColumn: 'answer', outputFormat: 'grouped', batchSize: 16,
    });
    expect(s).toMatchObject({ documents_embedded: 0, queries_embedded: 0, scored_by: 'cross-encoder', rows_written: 8 });
    expect(s.pairs_scored).toBe(8 * (11 + 1)); // 11 candidates (range_max + 1 positive) and the positive, per query
    const rows = readJsonl(output) as { query: string; positive: string; positive_score: number; negatives: { document: string; cross_encoder_score: number }[] }[];
    // an independent call of the cross-encoder on the written pairs
    const ce = await loadCrossEncoder(CROSS_ENCODER);
    try {
      for (const r of rows) {
        const pairs: [string, string][] = [[r.query, r.positive], ...r.negatives.map((n): [string, string] => [r.query, n.document])];
        const { scores } = await ce.predict(pairs);
        const written = [r.positive_score, ...r.negatives.map((n) => n.cross_encoder_score)];
        written.forEach((w, i) => expect(Math.abs(w - scores[i])).toBeLessThan(1e-6));
        expect(written.slice(1)).toEqual(written.slice(1).sort((a, b) => b - a));
      }
    } finally {
      await ce.release();
    }
  });
});
