// A BEIR folder as training data: every qrels pair with score > 0 becomes a (query, positive)
// record, the positive being the document as it is embedded ("title text"). The folder is read
// whole by readBeir (the corpus is needed to resolve ids); pairs follow qrels order.
import { documentText, readBeir, type BeirSet } from './beir.js';
import type { Source } from './sources.js';
import { errorMessage, type ReadPosition, type Reader } from './reader.js';

export async function* readBeirPairs(src: Source, split: string, from: ReadPosition = {}): Reader {
  let beir: BeirSet;
  try {
    beir = readBeir(src.path, split);
  } catch (e) {
    yield { problem: { field: null, reason: errorMessage(e) }, loc: { split }, after: from, fatal: true };
    return;
  }
  const start = from.pair ?? 0;
  let pair = 0;
  for (const [queryId, docs] of beir.qrels) {
    for (const [docId, score] of docs) {
      if (score <= 0) continue;
      if (pair++ < start) continue;
      const value = { query: beir.queries.get(queryId)!, positive: documentText(beir.corpus.get(docId)!) };
      yield { value, loc: { query_id: queryId, corpus_id: docId }, after: { pair } };
    }
  }
}
