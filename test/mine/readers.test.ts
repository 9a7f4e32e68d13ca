import fs from 'node:fs';
import path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { mine, type MineOptions } from '../../src/mine/mine.js';
import { BI_ENCODER, readJsonl, stCases, tempDir, writeJsonl } from './helpers.js';

const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const opts = (data: string, output: string, extra: Partial<MineOptions> = {}): MineOptions => ({
  model: BI_ENCODER, data, output, firstStage: 'dense', rangeMin: 0, rangeMax: 10, numNegatives: 2, samplingStrategy: 'top', seed: 0,
  queryColumn: 'question', positiveColumn: 'answer', outputFormat: 'n-tuple', batchSize: 32, ...extra,
});

describe('mine reads --data with the training pipeline readers', () => {
  it('a WebFAQ-style QA Parquet file gives the same rows as the same pairs in JSONL', async () => {
    const pairs = stCases().data.slice(0, 12).map((r, i) => ({ id: `qa-${i}`, question: r.query, answer: r.answer }));
    const parquet = path.join(dir, 'de.parquet');
    parquetWriteFile({
      filename: parquet,
      rowGroupSize: 5,
      columnData: ['id', 'question', 'answer'].map((name) => ({ name, data: pairs.map((p) => p[name as keyof typeof p]) as never })),
      schema: [
        { name: 'root', num_children: 3 },
        ...['id', 'question', 'answer'].map((name) => ({ name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const })),
      ],
    });
    const jsonl = writeJsonl(path.join(dir, 'de.jsonl'), pairs);
    const a = await mine(opts(parquet, path.join(dir, 'from-parquet.jsonl')));
    await mine(opts(jsonl, path.join(dir, 'from-jsonl.jsonl')));
    expect(a.records).toBe(12);
    const rows = readJsonl(path.join(dir, 'from-parquet.jsonl'));
    expect(rows).toHaveLength(12);
    expect(Object.keys(rows[0])).toEqual(['question', 'answer', 'negative_1', 'negative_2', 'scores']);
    expect(fs.readFileSync(path.join(dir, 'from-parquet.jsonl'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'from-jsonl.jsonl'), 'utf8'));
  });

  it('a BEIR folder as --data and --corpus: qrels pairs with score > 0, documents as "title text"', async () => {
    const beir = path.resolve('test/fixtures/data/beir-mini');
    const s = await mine(opts(beir, path.join(dir, 'beir.jsonl'), { corpus: [beir], outputFormat: 'grouped', queryColumn: 'query', positiveColumn: 'positive' }));
    const corpus = fs.readFileSync(path.join(beir, 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const qrels = fs.readFileSync(path.join(beir, 'qrels', 'train.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    const judged = qrels.filter(([, , score]) => Number(score) > 0);
    expect(s.records).toBe(judged.length);
    expect(s.corpus).toBe(corpus.length);
    expect(s.positives_added_to_corpus).toBe(0);
    const rows = readJsonl(path.join(dir, 'beir.jsonl'));
    const doc = (id: string) => corpus.find((d) => d._id === id);
    const text = (d: { title?: string; text: string }) => (d.title ? `${d.title} ${d.text}` : d.text);
    expect(rows.map((r) => r.positive)).toEqual(judged.map(([, docId]) => text(doc(docId))));
    for (const r of rows) for (const n of r.negatives as { document: string }[]) expect(n.document).not.toBe(r.positive);
  });
});
