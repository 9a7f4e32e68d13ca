// How well a cross-encoder ranks the demo's held-out set (data/demo/eval): for each query, its
// relevant document against the 19 documents BM25 ranks highest among the others (hard,
// lexically close candidates). Chance is 1/20 for the positive ranking first and 1/2 for it
// outscoring a given candidate.
import { documentText, readBeir } from '../../src/data/beir.js';
import type { CrossEncoder } from '../../src/graphs/cross-encoder.js';
import { Bm25Builder } from '../../src/mine/bm25.js';

export const CANDIDATES = 19;

export interface RerankRates {
  queries: number;
  /** Share of queries whose positive scores above all its candidates. */
  top1: number;
  /** Share of (query, candidate) comparisons the positive wins. */
  pairwise: number;
}

export async function rerankHeldOut(ce: CrossEncoder, evalDir: string): Promise<RerankRates> {
  const beir = readBeir(evalDir);
  const ids = [...beir.corpus.keys()];
  const texts = ids.map((id) => documentText(beir.corpus.get(id)!));
  const bm25 = new Bm25Builder();
  for (const t of texts) bm25.add(t);
  const index = bm25.build();
  let queries = 0, top1 = 0, wins = 0, comparisons = 0;
  for (const [qid, rel] of beir.qrels) {
    const query = beir.queries.get(qid)!;
    const positives = [...rel].filter(([, s]) => s > 0).map(([d]) => ids.indexOf(d));
    const others = index.search(query, CANDIDATES + positives.length).map((h) => h.index).filter((i) => !positives.includes(i)).slice(0, CANDIDATES);
    for (const p of positives) {
      const { logits } = await ce.predict([p, ...others].map((i) => [query, texts[i]]), { batchSize: 64 });
      const beaten = others.filter((_, k) => logits[0] > logits[k + 1]).length;
      queries++;
      if (beaten === others.length) top1++;
      wins += beaten;
      comparisons += others.length;
    }
  }
  return { queries, top1: top1 / queries, pairwise: wins / comparisons };
}
