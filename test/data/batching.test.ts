// Batching modes (plain, no_duplicates, by_language, drop_last), batcher state round trips, and
// the bounded shuffle buffer.
import { describe, expect, test } from 'vitest';
import { makeBatcher, type GroupedBatch } from '../../src/data/batching.js';
import { makeRng, seedRng } from '../../src/data/rng.js';
import { shuffleIn, shuffleOut } from '../../src/data/shuffle.js';
import type { Triple } from '../../src/data/triple.js';

const t = (query: string, positive = `p-${query}`, negatives: string[] = [], language?: string): Triple => ({ query, positive, negatives, language });
const queries = (bs: GroupedBatch[]) => bs.map((b) => b.triples.map((x) => x.query));

function run(batcher: ReturnType<typeof makeBatcher>, items: Triple[]): GroupedBatch[] {
  return [...items.flatMap((x) => batcher.push(x)), ...batcher.flush()];
}

describe('batching', () => {
  test('plain: arrival order, a short last batch unless drop_last', () => {
    const items = 'abcdefg'.split('').map((q) => t(q));
    expect(queries(run(makeBatcher('plain', 3, false), items))).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
    expect(queries(run(makeBatcher('plain', 3, true), items))).toEqual([['a', 'b', 'c'], ['d', 'e', 'f']]);
  });

  test('no_duplicates: a record whose text is already in the batch waits for the next one', () => {
    // b shares a's positive, d has c's query as a negative
    const items = [t('a', 'x'), t('b', 'x'), t('c'), t('d', 'p-d', ['c']), t('e'), t('f')];
    const out = run(makeBatcher('no_duplicates', 2, false), items);
    expect(queries(out)).toEqual([['a', 'c'], ['b', 'd'], ['e', 'f']]);
  });

  test('no_duplicates on many clashing records: no text twice in a batch, every record once', () => {
    const rng = makeRng(seedRng(3));
    const pool = 'abcdefghij'.split('');
    const items = Array.from({ length: 300 }, (_, i) => t(`q${i}`, pool[rng.int(10)], [pool[rng.int(10)] + '!']));
    const out = run(makeBatcher('no_duplicates', 4, false), items);
    for (const b of out) {
      const all = b.triples.flatMap((x) => [x.query, x.positive, ...x.negatives]);
      expect(new Set(all).size).toBe(all.length);
    }
    expect(out.flatMap((b) => b.triples.map((x) => x.query)).sort()).toEqual(items.map((x) => x.query).sort());
    // with 10 positives and 10 negatives most batches are still full
    expect(out.filter((b) => b.triples.length === 4).length).toBeGreaterThan(60);
  });

  test('by_language: each batch one language, in the order buckets fill; leftovers sorted by language', () => {
    const langs = 'de en de fr de en en de fr'.split(' ');
    const items = langs.map((l, i) => t(`${l}${i}`, undefined, [], l));
    const out = run(makeBatcher('by_language', 2, false), items);
    expect(out.map((b) => [b.language, ...b.triples.map((x) => x.query)])).toEqual([
      ['de', 'de0', 'de2'],
      ['en', 'en1', 'en5'],
      ['de', 'de4', 'de7'],
      ['fr', 'fr3', 'fr8'],
      ['en', 'en6'],
    ]);
    const dropped = run(makeBatcher('by_language', 2, true), items);
    expect(dropped.map((b) => b.language)).toEqual(['de', 'en', 'de', 'fr']);
  });

  for (const mode of ['plain', 'no_duplicates', 'by_language'] as const) {
    test(`${mode}: a batcher restored from its state continues identically`, () => {
      const rng = makeRng(seedRng(11));
      const items = Array.from({ length: 60 }, (_, i) => t(`q${i}`, `p${rng.int(8)}`, [], ['de', 'en', 'fr'][rng.int(3)]));
      const whole = run(makeBatcher(mode, 4, false), items);
      const first = makeBatcher(mode, 4, false);
      const head = items.slice(0, 23).flatMap((x) => first.push(x));
      const state = JSON.parse(JSON.stringify(first.state()));
      const tail = run(makeBatcher(mode, 4, false, state), items.slice(23));
      expect(queries([...head, ...tail])).toEqual(queries(whole));
    });
  }
});

describe('shuffle buffer', () => {
  test('holds at most its capacity, outputs a permutation, same seed same order', () => {
    const order = (seed: number): number[] => {
      const rng = makeRng(seedRng(seed));
      const buf: number[] = [];
      const out: number[] = [];
      for (let i = 0; i < 1000; i++) {
        const x = shuffleIn(buf, 50, i, rng);
        expect(buf.length).toBeLessThanOrEqual(50);
        if (x !== undefined) out.push(x);
      }
      for (let x = shuffleOut(buf, rng); x !== undefined; x = shuffleOut(buf, rng)) out.push(x);
      return out;
    };
    const a = order(1);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(order(1)).toEqual(a);
    expect(order(2)).not.toEqual(a);
    // a record can leave at the earliest when the buffer is full, i.e. after 50 later ones came in
    a.forEach((x, pos) => expect(pos).toBeGreaterThanOrEqual(x - 50));
    // and the order is really mixed: few records keep their neighbour
    const kept = a.filter((x, i) => i > 0 && a[i - 1] === x - 1).length;
    expect(kept).toBeLessThan(50);
  });
});
