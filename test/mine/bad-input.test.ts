import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mine, type MineOptions } from '../../src/mine/mine.js';
import { BI_ENCODER, CROSS_ENCODER, readJsonl, stCases, tempDir, writeJsonl, writeStInputs } from './helpers.js';

let dir: string;
let base: MineOptions;
let corpusTexts: string[];

beforeAll(() => {
  dir = tempDir();
  const fx = stCases();
  corpusTexts = fx.corpus;
  const inputs = writeStInputs(dir, { ...fx, data: fx.data.slice(0, 6) });
  base = {
    model: BI_ENCODER, data: inputs.data, corpus: [inputs.corpus], output: '', firstStage: 'dense', rangeMin: 0, rangeMax: 10,
    numNegatives: 2, samplingStrategy: 'top', seed: 0, queryColumn: 'query', positiveColumn: 'answer', outputFormat: 'grouped', batchSize: 32,
  };
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const out = (name: string) => path.join(dir, `${name}.jsonl`);

describe('mine: bad input', () => {
  it('a corpus record without text: an error naming the file, line and field, and no output', async () => {
    const corpus = writeJsonl(path.join(dir, 'corpus-no-text.jsonl'), [{ text: 'fine' }, { title: 'only a title' }]);
    await expect(mine({ ...base, corpus: [corpus], output: out('no-text') })).rejects.toThrow(`${corpus} line 2, field "text": missing`);
    expect(fs.existsSync(out('no-text'))).toBe(false);
  });

  it('a record of --data without the query column: file, line and field', async () => {
    const data = writeJsonl(path.join(dir, 'no-query.jsonl'), [{ query: 'a', answer: 'b' }, { question: 'c', answer: 'd' }]);
    await expect(mine({ ...base, data, output: out('no-query') })).rejects.toThrow(/no-query\.jsonl: line 2: field "query": missing/);
  });

  it('a positive missing from --corpus is added to the corpus (as sentence-transformers) and counted', async () => {
    const fx = stCases();
    const missing = fx.data[0].answer;
    const corpus = writeJsonl(path.join(dir, 'without-positive.jsonl'), corpusTexts.filter((t) => t !== missing).map((text) => ({ text })));
    const s = await mine({ ...base, corpus: [corpus], output: out('added') });
    expect(s.positives_added_to_corpus).toBe(1);
    expect(s.corpus).toBe(corpusTexts.length);
    const rows = readJsonl(out('added'));
    expect(rows[0].positive).toBe(missing);
    // never its own negative: the positive is masked out of its query's candidates
    expect((rows[0].negatives as { document: string }[]).map((n) => n.document)).not.toContain(missing);
  });

  it('a cross-encoder with more than one label: a clear error before any output', async () => {
    const two = path.join(dir, 'ce-two-labels');
    fs.cpSync(CROSS_ENCODER, two, { recursive: true });
    const cfg = JSON.parse(fs.readFileSync(path.join(two, 'config.json'), 'utf8'));
    Object.assign(cfg, { id2label: { 0: 'no', 1: 'yes' }, label2id: { no: 0, yes: 1 } });
    fs.writeFileSync(path.join(two, 'config.json'), JSON.stringify(cfg));
    await expect(mine({ ...base, crossEncoder: two, output: out('two-labels') })).rejects.toThrow(/config\.json: num_labels is 2.*one-label/);
    expect(fs.existsSync(out('two-labels'))).toBe(false);
  });

  it('queries without enough negatives: n-tuple drops and counts them, grouped keeps the short ones', async () => {
    // min_score above every candidate but a few leaves most queries short
    const opts = { ...base, numNegatives: 3, minScore: 0.76 };
    const tuple = await mine({ ...opts, output: out('tuple-short'), outputFormat: 'n-tuple' });
    const grouped = await mine({ ...opts, output: out('grouped-short') });
    const tupleRows = readJsonl(out('tuple-short'));
    const groupedRows = readJsonl(out('grouped-short'));
    expect(tuple.rows_written).toBe(tupleRows.length);
    expect(tuple.rows_written + tuple.rows_dropped).toBe(6);
    expect(tuple.rows_dropped).toBeGreaterThan(0);
    expect(tuple.skipped.min_score).toBeGreaterThan(0);
    for (const r of tupleRows) expect(r).toHaveProperty('negative_3');
    const short = groupedRows.filter((r) => (r.negatives as unknown[]).length < 3);
    expect(grouped.rows_short).toBe(short.length);
    expect(grouped.rows_written + grouped.rows_dropped).toBe(6);
    expect(short.length).toBeGreaterThan(0);
    for (const r of groupedRows) for (const n of r.negatives as { cross_encoder_score: number }[]) expect(n.cross_encoder_score).toBeGreaterThanOrEqual(0.76);
  });

  it('option errors name the flag', async () => {
    await expect(mine({ ...base, numNegatives: 0, output: out('x') })).rejects.toThrow('--num-negatives: expected an integer >= 1, got 0');
    await expect(mine({ ...base, maxScore: NaN, output: out('x') })).rejects.toThrow('--max-score: expected a number, got NaN');
    await expect(mine({ ...base, rangeMin: 10, output: out('x') })).rejects.toThrow('--range-min 10 leaves no candidate below --range-max 10');
  });
});
