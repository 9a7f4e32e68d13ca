// The training stream: file order without shuffling, interleaving, epochs, seeds, teacher
// margins, tokenization in workers, and exact resume from a serialised state for every batching
// mode (the resumed stream yields exactly the batches the uninterrupted one would have).
import fs from 'node:fs';
import path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, test } from 'vitest';
import { openTrainingStream, type PipelineState } from '../../src/data/stream.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { HARD_NEGATIVES, MODEL, collect, fixtureRecords, recipeWith, tempDir, texts, openStream } from './helpers.js';

describe('inputs', () => {
  test('the stream takes the data config and its scalars, no recipe: the given batch size, seed and epochs; the tokenizer is asked only to tokenize', async () => {
    const dir = tempDir();
    const data = recipeWith(dir, { shuffle: true, num_negatives: 1 }).data;
    let asked = 0;
    const run = { loss: 'mnrl', batchSize: 5, seed: 3, epochs: 2, rejects: null, tokenizer: () => (asked++, { dir: MODEL, maxSeqLength: 32 }) };
    const batches = await collect(openTrainingStream(data, run, { tokenize: false }));
    expect(asked).toBe(0);
    // 24 records, 2 epochs, batches of 5: 4 full and one of 4 per epoch.
    expect(batches.map((b) => b.triples.length)).toEqual([5, 5, 5, 5, 4, 5, 5, 5, 5, 4]);
    // The same scalars through a recipe (streamRun) give the same batches.
    const viaRecipe = await collect(openStream(recipeWith(dir, { shuffle: true, num_negatives: 1 }, { batch_size: 5, seed: 3, epochs: 2 }), { tokenize: false, rejects: null }));
    expect(viaRecipe.map((b) => b.triples.map((t) => t.query))).toEqual(batches.map((b) => b.triples.map((t) => t.query)));
    // Another seed shuffles otherwise; epochs null reads on past two epochs.
    const reseeded = await collect(openTrainingStream(data, { ...run, seed: 4 }, { tokenize: false }));
    expect(reseeded.map((b) => b.triples.map((t) => t.query))).not.toEqual(batches.map((b) => b.triples.map((t) => t.query)));
    expect(await collect(openTrainingStream(data, { ...run, epochs: null }, { tokenize: false }), 15)).toHaveLength(15);
    const tokenized = openTrainingStream(data, run);
    expect((await tokenized.next())!.query.seqLen).toBeGreaterThan(0);
    await tokenized.close();
    expect(asked).toBe(1);
  });
});

describe('order', () => {
  test('shuffle: false gives the records in file order, files in list order', async () => {
    const dir = tempDir();
    const second = path.join(dir, 'second.jsonl');
    fs.writeFileSync(second, fixtureRecords().slice(0, 6).map((r) => JSON.stringify({ ...r, query: `2nd ${r.query}` })).join('\n'));
    const recipe = recipeWith(dir, { train: [HARD_NEGATIVES, second], shuffle: false, num_negatives: 1 });
    const batches = await collect(openStream(recipe, { tokenize: false }));
    const want: Record<string, any>[] = [...fixtureRecords(), ...fixtureRecords().slice(0, 6).map((r) => ({ ...r, query: `2nd ${r.query}` }))];
    expect(batches.map((b) => b.triples.length)).toEqual([4, 4, 4, 4, 4, 4, 4, 2]);
    expect(batches.flatMap((b) => b.triples.map((t) => [t.query, t.positive, t.negatives[0], t.source]))).toEqual(
      want.map((r, i) => [r.query, r.positive, r.negatives[0].document, i < 24 ? HARD_NEGATIVES : second]),
    );
  });

  test('interleave: 2 takes records from two files in turn', async () => {
    const dir = tempDir();
    const a = path.join(dir, 'a.jsonl');
    const b = path.join(dir, 'b.jsonl');
    const rec = (q: string) => JSON.stringify({ query: q, positive: `p ${q}`, negatives: [{ document: `n ${q}` }] });
    fs.writeFileSync(a, ['a1', 'a2', 'a3', 'a4'].map(rec).join('\n'));
    fs.writeFileSync(b, ['b1', 'b2'].map(rec).join('\n'));
    const recipe = recipeWith(dir, { train: [a, b], shuffle: false, interleave: 2 });
    const batches = await collect(openStream(recipe, { tokenize: false }));
    expect(batches.flatMap((x) => x.triples.map((t) => t.query))).toEqual(['a1', 'b1', 'a2', 'b2', 'a3', 'a4']);
  });

  test('shuffling is deterministic for a seed, differs between seeds and between epochs', async () => {
    const dir = tempDir();
    const run = async (seed: number) =>
      (await collect(openStream(recipeWith(dir, { shuffle_buffer: 8 }, { seed, epochs: 2 }), { tokenize: false }))).map((b) =>
        b.triples.map((t) => t.query),
      );
    const a = await run(1);
    expect(await run(1)).toEqual(a);
    expect(await run(2)).not.toEqual(a);
    const epoch1 = a.slice(0, 6).flat();
    const epoch2 = a.slice(6).flat();
    expect(epoch1.length).toBe(24);
    expect([...epoch1].sort()).toEqual(fixtureRecords().map((r) => r.query).sort());
    expect([...epoch2].sort()).toEqual([...epoch1].sort());
    expect(epoch2).not.toEqual(epoch1);
  });

  test('with max_steps the stream loops over epochs without end', async () => {
    const dir = tempDir();
    const batches = await collect(openStream(recipeWith(dir, {}, { max_steps: 5 }), { tokenize: false }), 20);
    expect(batches.length).toBe(20); // 6 batches per epoch: more than three epochs
  });
});

describe('batch contents', () => {
  test('WebFAQ QA parquet files: question/answer pairs, language from the file name, batched by language', async () => {
    const dir = tempDir();
    const write = (lang: string, n: number) => {
      const ids = Array.from({ length: n }, (_, i) => `${lang}${i}`);
      parquetWriteFile({
        filename: path.join(dir, `${lang}.parquet`),
        columnData: [
          { name: 'id', data: ids },
          { name: 'origin', data: ids.map(() => `https://example.${lang}`) },
          { name: 'url', data: ids.map((id) => `https://example.${lang}/faq#${id}`) },
          { name: 'question', data: ids.map((id) => `question ${id}`) },
          { name: 'answer', data: ids.map((id) => `answer ${id}`) },
          { name: 'semantic_similarity_score', data: ids.map(() => 0.9) },
          { name: 'topic', data: ids.map(() => 'Shopping') },
          { name: 'question_type', data: ids.map(() => 'What') },
        ],
      });
    };
    write('de', 5);
    write('fr', 3);
    const recipe = recipeWith(dir, { train: [`${dir}/*.parquet`], preset: 'webfaq_qa', num_negatives: 0, batching: 'by_language', shuffle: false, interleave: 2 }, { batch_size: 2 });
    const batches = await collect(openStream(recipe, { tokenize: false }));
    expect(batches.map((b) => [b.language, ...b.triples.map((t) => `${t.query} / ${t.positive}`)])).toEqual([
      ['de', 'question de0 / answer de0', 'question de1 / answer de1'],
      ['fr', 'question fr0 / answer fr0', 'question fr1 / answer fr1'],
      ['de', 'question de2 / answer de2', 'question de3 / answer de3'],
      ['de', 'question de4 / answer de4'],
      ['fr', 'question fr2 / answer fr2'],
    ]);
  });

  test('teacher margins are positive_score - negative_score for the sampled negatives', async () => {
    const dir = tempDir();
    const recipe = recipeWith(dir, { shuffle: false, num_negatives: 2, negative_sampling: 'top' }, {}, 'margin_mse');
    const [first] = await collect(openStream(recipe, { tokenize: false }), 1);
    // every fixture record: scores positive - [2, 0.5, 4, 3]; top 2 = the 0.5 and 2 ones
    expect(Array.from(first.teacherMargins!)).toEqual([0.5, 2, 0.5, 2, 0.5, 2, 0.5, 2]);
    expect(first.triples[0].negatives).toEqual(['de passage 0-1 about delivery', 'de passage 0-0 about password']);
  });

  test('by_language batches carry their language; stats count records per language', async () => {
    const dir = tempDir();
    const stream = openStream(recipeWith(dir, { batching: 'by_language' }), { tokenize: false });
    const batches = await collect(stream);
    for (const b of batches) expect(b.triples.every((t) => t.language === b.language)).toBe(true);
    expect(stream.stats()).toEqual({ records: 24, skipped: 0, languages: { de: 8, en: 8, fr: 8 } });
  });

  test('tokenized in workers exactly as the tokenizer does it, padded to the longest row', async () => {
    const dir = tempDir();
    const recipe = recipeWith(dir, { num_negatives: 2, shuffle_buffer: 5 });
    const batches = await collect(openStream(recipe));
    const tok = loadTokenizer(MODEL, 64); // tiny-bert's tokenizer_config model_max_length
    expect(batches.length).toBe(6);
    for (const b of batches) {
      const want = [b.triples.map((t) => t.query), b.triples.map((t) => t.positive), ...[0, 1].map((k) => b.triples.map((t) => t.negatives[k]))].map((c) =>
        tok.encodeBatch(c),
      );
      expect([b.query, b.positive, ...b.negatives]).toEqual(want);
      expect(b.query.seqLen).toBe(Math.max(...b.triples.map((t) => tok.encode(t.query).length)));
    }
  });
});

describe('exact resume', () => {
  const modes: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['plain, shuffled', { shuffle_buffer: 7, negative_sampling: 'random', num_negatives: 2 }, { epochs: 2 }],
    ['no_duplicates', { batching: 'no_duplicates', shuffle_buffer: 5 }, { epochs: 2 }],
    ['by_language', { batching: 'by_language', shuffle_buffer: 6 }, { epochs: 2 }],
    ['interleaved files, shuffled', { interleave: 2, shuffle_buffer: 3 }, { epochs: 2 }],
    ['endless (max_steps)', { shuffle_buffer: 4 }, { max_steps: 100 }],
  ];
  for (const [name, data, train] of modes) {
    test(name, async () => {
      const dir = tempDir();
      const other = path.join(dir, 'other.parquet');
      const rows: Record<string, any>[] = fixtureRecords().slice(0, 10).map((r) => ({ ...r, query: `pq ${r.query}` }));
      parquetWriteFile({
        filename: other,
        rowGroupSize: 3,
        columnData: ['query', 'positive', 'language'].map((c) => ({ name: c, data: rows.map((r) => r[c]) as never })),
      });
      const jsonl = path.join(dir, 'n.jsonl');
      fs.writeFileSync(jsonl, fixtureRecords().slice(0, 10).map((r) => JSON.stringify({ ...r, query: `n ${r.query}` })).join('\n'));
      // the parquet rows have no negatives: this recipe uses num_negatives 0 unless it sets it
      const files = data.num_negatives ? [HARD_NEGATIVES, jsonl] : [HARD_NEGATIVES, other, jsonl];
      const recipe = recipeWith(dir, { num_negatives: 0, train: files, ...data }, { seed: 3, ...train });
      const whole = await collect(openStream(recipe, { tokenize: false }), 40);
      expect(whole.length).toBeGreaterThan(12);
      for (const cut of [1, 5, 9, 13]) {
        const head = openStream(recipe, { tokenize: false });
        for (let i = 0; i < cut; i++) await head.next();
        const state: PipelineState = JSON.parse(JSON.stringify(head.state()));
        await head.close();
        const rest = await collect(openStream(recipe, { tokenize: false, resume: state }), whole.length - cut);
        expect(rest.map(texts)).toEqual(whole.slice(cut).map(texts));
      }
    });
  }

  test('a resumed tokenizing stream gives the same token batches', async () => {
    const dir = tempDir();
    const recipe = recipeWith(dir, { num_negatives: 1, negative_sampling: 'random' });
    const whole = await collect(openStream(recipe));
    const head = openStream(recipe);
    await head.next();
    await head.next();
    const state = head.state();
    await head.close();
    const rest = await collect(openStream(recipe, { resume: state }));
    expect(rest.map((b) => [texts(b), b.query, b.positive, b.negatives])).toEqual(whole.slice(2).map((b) => [texts(b), b.query, b.positive, b.negatives]));
  });

  test('refuses a state taken over other files', async () => {
    const dir = tempDir();
    const head = openStream(recipeWith(dir, {}), { tokenize: false });
    await head.next();
    const state = head.state();
    await head.close();
    const copy = path.join(dir, 'copy.jsonl');
    fs.copyFileSync(HARD_NEGATIVES, copy);
    expect(() => openStream(recipeWith(dir, { train: [copy] }), { tokenize: false, resume: state })).toThrow(/other files than the checkpoint/);
  });
});
