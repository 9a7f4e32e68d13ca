// check-data: one pass over the recipe's data through the whole pipeline, tokenization included,
// summarised as records, skipped, batches, languages and triples/s.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { checkData } from '../../src/cli/check-data.js';
import { FIXTURES, HARD_NEGATIVES, recipeWith, tempDir } from './helpers.js';

test('summarises the fixture: 24 records in 3 languages, 6 batches of 4', async () => {
  const dir = tempDir();
  const summary = await checkData(recipeWith(dir, {}, { epochs: 3, max_steps: 50 }));
  expect(summary).toMatchObject({ records: 24, skipped: 0, batches: 6, languages: { de: 8, en: 8, fr: 8 } });
  expect(summary.triples_per_s).toBeGreaterThan(0);
});

test('counts skipped records, and BEIR folders and JSONL go through together', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'with-bad.jsonl');
  fs.writeFileSync(file, fs.readFileSync(HARD_NEGATIVES, 'utf8') + 'not json\n{"query": "q"}\n');
  const recipe = recipeWith(dir, { train: [file, path.join(FIXTURES, 'beir-mini')], num_negatives: 0, on_bad_record: 'skip', beir_split: 'train' });
  // A run's files in output_dir, which check-data must leave as they are.
  fs.mkdirSync(path.join(dir, 'out'));
  fs.writeFileSync(path.join(dir, 'out', 'rejected.jsonl'), '{"from": "the run"}\n');
  const summary = await checkData(recipe);
  // 24 + 4 BEIR pairs; the BEIR pairs have no language column
  expect(summary).toMatchObject({ records: 28, skipped: 2, batches: 7, languages: { de: 8, en: 8, fr: 8 } });
  expect(fs.readFileSync(path.join(dir, 'out', 'rejected.jsonl'), 'utf8')).toBe('{"from": "the run"}\n');
  expect(fs.readdirSync(path.join(dir, 'out'))).toEqual(['rejected.jsonl']);
});

test('data without a usable record is an error, as in train, and writes nothing', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'all-bad.jsonl');
  fs.writeFileSync(file, 'not json\n{"query": "q"}\n');
  await expect(checkData(recipeWith(dir, { train: [file], on_bad_record: 'skip' }))).rejects.toThrow('data.train yields no batch: 0 good records, 2 skipped');
  expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
});
