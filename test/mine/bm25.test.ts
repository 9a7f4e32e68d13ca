import { describe, expect, it } from 'vitest';
import { Bm25Builder, words } from '../../src/mine/bm25.js';

function index(docs: string[]) {
  const b = new Bm25Builder();
  for (const d of docs) b.add(d);
  return b.build();
}

describe('BM25 (Lucene formula, k1 1.2, b 0.75)', () => {
  // N = 3 documents of 3, 2 and 4 words: avgdl = 3. "cat" and "dog" are each in 2 documents, so
  // idf = ln(1 + (3 - 2 + 0.5) / (2 + 0.5)) = ln(1.6) for both.
  const docs = ['The cat sat', 'the DOG', 'cat cat dog bird'];
  const idf = Math.log(1.6);
  // K(dl) = k1 * (1 - b + b * dl / avgdl)
  const K = { d0: 1.2 * (0.25 + 0.75 * (3 / 3)), d1: 1.2 * (0.25 + 0.75 * (2 / 3)), d2: 1.2 * (0.25 + 0.75 * (4 / 3)) };

  it('scores documents as computed by hand', () => {
    const ix = index(docs);
    const cat0 = (idf * 1) / (1 + K.d0); // 0.213638...
    const cat2 = (idf * 2) / (2 + K.d2); // tf 2: 0.268574...
    const dog1 = (idf * 1) / (1 + K.d1);
    const dog2 = (idf * 1) / (1 + K.d2);
    expect(ix.score('cat', 0)).toBeCloseTo(0.2136381, 6);
    expect(ix.score('cat', 0)).toBeCloseTo(cat0, 12);
    expect(ix.score('cat', 1)).toBe(0);
    expect(ix.score('cat', 2)).toBeCloseTo(cat2, 12);
    expect(ix.score('CAT dog', 2)).toBeCloseTo(cat2 + dog2, 12);
    // "the" is in 2 documents too; a repeated query word counts twice, as Lucene's boolean query
    expect(ix.score('dog dog', 1)).toBeCloseTo(2 * dog1, 12);

    const hits = ix.search('cat dog', 10);
    expect(hits.map((h) => h.index)).toEqual([2, 1, 0]); // 0.4566 > 0.2474 (dog, short d1) > 0.2136 (cat, d0)
    expect(hits.map((h) => h.score)).toEqual([expect.closeTo(cat2 + dog2, 12), expect.closeTo(dog1, 12), expect.closeTo(cat0, 12)]);
  });

  it('ranks by score, leaves out documents sharing no word, and keeps only k', () => {
    const ix = index(docs);
    const cat0 = (idf * 1) / (1 + K.d0);
    const dog1 = (idf * 1) / (1 + K.d1);
    expect(dog1).toBeGreaterThan(cat0); // the shorter document wins
    expect(ix.search('bird', 10)).toEqual([{ index: 2, score: expect.closeTo(Math.log(1 + 2.5 / 1.5) / (1 + K.d2), 12) }]);
    expect(ix.search('cat dog', 1).map((h) => h.index)).toEqual([2]);
    expect(ix.search('unicorn', 5)).toEqual([]);
  });

  it('splits Chinese into words and finds the right document', () => {
    const zh = ['如何退货并获得退款', '今天天气很好', '我的订单什么时候发货', '退款需要三到五个工作日'];
    expect(words('如何退货并获得退款').length).toBeGreaterThan(3); // not one "word" for the whole sentence
    const ix = index(zh);
    expect(ix.search('我想退货', 4).map((h) => h.index)[0]).toBe(0);
    expect(ix.search('退款多久到账', 4).map((h) => h.index).slice(0, 2).sort()).toEqual([0, 3]);
    expect(ix.search('订单什么时候到', 4)[0].index).toBe(2);
  });

  it('lowercases German and keeps umlauts', () => {
    const de = ['Sie können Ihre Bestellung jederzeit im Kundenkonto stornieren.', 'Die Lieferung dauert drei Tage.', 'Rücksendungen sind kostenlos.'];
    expect(words('Rücksendungen sind kostenlos.')).toEqual(['rücksendungen', 'sind', 'kostenlos']);
    const ix = index(de);
    expect(ix.search('Wie kann ich meine BESTELLUNG stornieren?', 3).map((h) => h.index)).toEqual([0]);
    expect(ix.search('Ist die Rücksendungen kostenlos?', 3).map((h) => h.index)).toEqual([2, 1]);
  });
});
