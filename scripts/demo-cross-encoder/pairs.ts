// Labeled pairs for the demo cross-encoder from the demo's training file (the grouped
// hard-negative layout): per record, (query, positive) labelled 1, and labelled 0 (query, one of
// its hard negatives) and (query, another record's positive). Negatives the file scores within
// FALSE_NEGATIVE_MARGIN of the positive are left out: the demo data puts rewordings of the
// positive there (false negatives), as mined data has them; sentence-transformers' absolute_margin
// filter drops them the same way.
import { readLinesSync } from '../../src/data/lines-sync.js';
import type { Rng } from '../../src/data/rng.js';

export const FALSE_NEGATIVE_MARGIN = 0.1;

export interface TrainRecord {
  query: string;
  positive: string;
  /** Negatives kept (scored below the positive by more than the margin). */
  negatives: string[];
}

export interface LabeledPair {
  query: string;
  document: string;
  label: 0 | 1;
}

/** The records of a grouped hard-negative JSONL file; a bad line is an error naming it. */
export function readTrainRecords(file: string): TrainRecord[] {
  const out: TrainRecord[] = [];
  for (const { n, text } of readLinesSync(file)) {
    if (text.trim() === '') continue;
    let r: any;
    try {
      r = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file} line ${n}: not valid JSON (${(e as Error).message})`);
    }
    for (const f of ['query', 'positive']) if (typeof r?.[f] !== 'string') throw new Error(`${file} line ${n}, field "${f}": expected text`);
    if (!Array.isArray(r.negatives)) throw new Error(`${file} line ${n}, field "negatives": expected a list`);
    const positiveScore = typeof r.positive_score === 'number' ? r.positive_score : Infinity;
    const negatives = r.negatives.map((x: any, k: number) => {
      if (typeof x?.document !== 'string') throw new Error(`${file} line ${n}, field "negatives[${k}].document": expected text`);
      return x;
    }).filter((x: any) => !(typeof x.cross_encoder_score === 'number' && x.cross_encoder_score > positiveScore - FALSE_NEGATIVE_MARGIN));
    out.push({ query: r.query, positive: r.positive, negatives: negatives.map((x: any) => x.document) });
  }
  return out;
}

/** One epoch's pairs, three per record (two when a record keeps no hard negative), shuffled. */
export function epochPairs(records: TrainRecord[], rng: Rng): LabeledPair[] {
  const out: LabeledPair[] = [];
  for (const r of records) {
    out.push({ query: r.query, document: r.positive, label: 1 });
    if (r.negatives.length > 0) out.push({ query: r.query, document: r.negatives[rng.int(r.negatives.length)], label: 0 });
    // Another record's positive, unless it is the same answer (two queries may share one).
    const other = records[rng.int(records.length)].positive;
    if (other !== r.positive) out.push({ query: r.query, document: other, label: 0 });
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
