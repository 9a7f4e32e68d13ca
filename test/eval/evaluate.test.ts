import { afterAll, describe, expect, it } from 'vitest';
import { readBeir, type BeirSet } from '../../src/data/beir.js';
import { evaluateRetrieval } from '../../src/eval/evaluate.js';
import { retrievalMetrics, type QueryRanking } from '../../src/eval/metrics.js';
import { removeBeirDirs, writeBeir } from './beir-fixture.js';

afterAll(removeBeirDirs);

describe('evaluateRetrieval (hand-computed)', () => {
  // The embedder knows these texts only, so a document embedded without its title, or a query
  // that should have been skipped, fails the test.
  const vectors: Record<string, number[]> = {
    'cat purr': [1, 0], // d1: title "cat" + text "purr"
    'dog bark': [0, 2], // d2 (no title) and d3 (title "dog" + text "bark"): equal scores always
    feline: [2, 1],
    canine: [0, 1],
  };
  const dir = writeBeir({
    corpus: [{ _id: 'd1', title: 'cat', text: 'purr' }, { _id: 'd2', title: '', text: 'dog bark' }, { _id: 'd3', title: 'dog', text: 'bark' }],
    queries: [{ _id: 'q1', text: 'feline' }, { _id: 'q2', text: 'unjudged' }, { _id: 'q3', text: 'canine' }, { _id: 'q4', text: 'judged zero' }],
    qrels: { test: [['q1', 'd1', 1], ['q3', 'd3', 2], ['q4', 'd1', 0]] },
  });

  it('ranks by cosine, breaks ties by corpus order and skips queries without a relevant document', async () => {
    const calls: [string, string[]][] = [];
    const m = await evaluateRetrieval(readBeir(dir), async (texts, role) => {
      calls.push([role, texts]);
      return texts.map((t) => {
        if (!(t in vectors)) throw new Error(`unexpected text "${t}"`);
        return Float32Array.from(vectors[t]);
      });
    });
    expect(calls).toEqual([['query', ['feline', 'canine']], ['document', ['cat purr', 'dog bark', 'dog bark']]]);
    // q1 (feline): cos d1 = 2/sqrt(5) = 0.894, d2 = d3 = 1/sqrt(5) = 0.447 -> d1 first: every metric 1.
    // q3 (canine): cos d1 = 0, d2 = d3 = 1, tie -> d2 before d3 (corpus order); relevant d3 at rank 2:
    //   accuracy@1 0, mrr 1/2, ndcg@10 = 1/log2(3) = 0.63093, map@100 = (1/2)/1 = 0.5, recall 1.
    // Averages over q1 and q3 (q2 has no qrels, q4 only a score 0):
    expect(m['accuracy@1']).toBe(0.5);
    expect(m['accuracy@10']).toBe(1);
    expect(m['mrr@10']).toBe(0.75);
    expect(m['ndcg@10']).toBeCloseTo((1 + 1 / Math.log2(3)) / 2, 12); // 0.81546
    expect(m['map@100']).toBe(0.75);
    expect(m['recall@10']).toBe(1);
    expect(m['recall@100']).toBe(1);
  });

  it('rejects embeddings of the wrong count, dimension or with NaN, and sets without relevant documents', async () => {
    const set = readBeir(dir);
    const embedWith = (f: (texts: string[]) => Float32Array[]) => evaluateRetrieval(set, async (texts) => f(texts));
    await expect(embedWith((t) => t.slice(1).map(() => new Float32Array(2)))).rejects.toThrow(/got 1 embeddings for 2 texts/);
    await expect(embedWith((t) => t.map((x) => new Float32Array(x === 'dog bark' ? 3 : 2).fill(1)))).rejects.toThrow(/document "d2": dimension 3, expected 2/);
    await expect(embedWith((t) => t.map((x) => Float32Array.from(x === 'canine' ? [NaN, 1] : [1, 1])))).rejects.toThrow(/query "q3": has a non-finite value/);
    const noneRelevant: BeirSet = { ...set, qrels: new Map([['q4', new Map([['d1', 0]])]]) };
    await expect(evaluateRetrieval(noneRelevant, async (t) => t.map(() => new Float32Array(2)))).rejects.toThrow(/no query has a relevant document/);
  });
});

describe('evaluateRetrieval against a brute-force full score matrix', () => {
  // Bag-of-words vectors over 10 words: small integer counts, so many exact score ties.
  const vocab = 'alpha beta gamma delta eps zeta eta theta iota kappa'.split(' ');
  const bow = (text: string) => Float32Array.from(vocab, (w) => text.split(' ').filter((t) => t === w).length);
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = (n: number) => Array.from({ length: n }, () => vocab[Math.floor(rand() * vocab.length)]).join(' ');
  const nDocs = 157; // more than the 100 hits kept per query
  const corpus = Array.from({ length: nDocs }, (_, i) => ({ _id: `d${i}`, title: rand() < 0.3 ? pick(1) : '', text: pick(1 + Math.floor(rand() * 5)) }));
  const queries = Array.from({ length: 25 }, (_, i) => ({ _id: `q${i}`, text: pick(1 + Math.floor(rand() * 3)) }));
  const qrels: [string, string, number][] = [];
  for (const q of queries.slice(0, 22)) {
    const n = Math.floor(rand() * 5); // some queries get no judgement, some only score 0 ones
    for (const d of new Set(Array.from({ length: n }, () => Math.floor(rand() * nDocs)))) qrels.push([q._id, `d${d}`, Math.floor(rand() * 3)]);
  }
  const set = readBeir(writeBeir({ corpus, queries, qrels: { test: qrels } }));

  function bruteForce(): Record<string, number> {
    const docs = corpus.map((d) => bow(d.title ? `${d.title} ${d.text}` : d.text));
    const cos = (a: Float32Array, b: Float32Array) => {
      const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i], 0);
      return dot(a, b) / (Math.sqrt(dot(a, a)) * Math.sqrt(dot(b, b)));
    };
    const rankings: QueryRanking[] = queries.map((q) => ({
      // every document, in corpus order: retrievalMetrics' stable sort then ranks ties by corpus order
      hits: docs.map((d, i) => ({ id: `d${i}`, score: cos(bow(q.text), d) })),
      relevant: new Set(qrels.filter(([qid, , s]) => qid === q._id && s > 0).map(([, d]) => d)),
    }));
    return retrievalMetrics(rankings);
  }

  it('gives the same metrics for every corpus chunk and batch size', async () => {
    const expected = bruteForce();
    expect(expected['ndcg@10']).toBeGreaterThan(0.05); // a meaningful comparison, not all zeros or ones
    expect(expected['ndcg@10']).toBeLessThan(0.95);
    for (const [corpusChunkSize, batchSize] of [[1, undefined], [7, 3], [100, undefined], [157, 10], [1000, undefined]]) {
      const docCalls: number[] = [];
      const m = await evaluateRetrieval(
        set,
        async (texts, role) => {
          if (role === 'document') docCalls.push(texts.length);
          return texts.map(bow);
        },
        { corpusChunkSize, batchSize },
      );
      expect(m, `chunk ${corpusChunkSize} batch ${batchSize}`).toEqual(expected);
      expect(Math.max(...docCalls)).toBe(Math.min(corpusChunkSize!, batchSize ?? Infinity, nDocs));
      expect(docCalls.reduce((a, b) => a + b)).toBe(nDocs);
    }
  });
});
