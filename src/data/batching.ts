// Batching modes. plain: records in arrival order. no_duplicates: no text twice in a batch in any
// column (as sentence-transformers' NO_DUPLICATES; a clash waits for a later batch, so in-batch
// negatives are never copies of the positive). by_language: every batch from one language.
// The batcher's state is plain data so a checkpoint can carry it.
import type { Batching } from './config.js';
import type { Triple } from './triple.js';

export interface GroupedBatch {
  triples: Triple[];
  language?: string;
}

export interface BatcherState {
  current: Triple[];
  /** no_duplicates: records that clashed with the batch being filled, tried first for the next one. */
  pending: Triple[];
  /** by_language: the partly filled batch of each language. */
  buckets: Record<string, Triple[]>;
}

export interface Batcher {
  push(t: Triple): GroupedBatch[];
  /** End of epoch: the partly filled batches (none of them when drop_last). */
  flush(): GroupedBatch[];
  state(): BatcherState;
}

export function makeBatcher(mode: Batching, size: number, dropLast: boolean, from?: BatcherState): Batcher {
  const s: BatcherState = from
    ? { current: from.current.slice(), pending: from.pending.slice(), buckets: copyBuckets(from.buckets) }
    : { current: [], pending: [], buckets: {} };
  const keep = (b: GroupedBatch[]): GroupedBatch[] => b.filter((x) => x.triples.length > 0 && (!dropLast || x.triples.length === size));
  const state = (): BatcherState => ({ current: s.current.slice(), pending: s.pending.slice(), buckets: copyBuckets(s.buckets) });

  if (mode === 'by_language') {
    return {
      push(t) {
        const lang = t.language ?? '';
        const bucket = (s.buckets[lang] ??= []);
        bucket.push(t);
        if (bucket.length < size) return [];
        delete s.buckets[lang];
        return [{ triples: bucket, language: lang }];
      },
      flush() {
        const out = Object.keys(s.buckets).sort().map((lang) => ({ triples: s.buckets[lang], language: lang }));
        s.buckets = {};
        return keep(out);
      },
      state,
    };
  }

  if (mode === 'plain') {
    return {
      push(t) {
        s.current.push(t);
        if (s.current.length < size) return [];
        const batch = s.current;
        s.current = [];
        return [{ triples: batch }];
      },
      flush() {
        const batch = s.current;
        s.current = [];
        return keep([{ triples: batch }]);
      },
      state,
    };
  }

  // no_duplicates
  const maxPending = 4 * size; // past this the batch goes out short rather than hold more records back
  let texts = new Set(s.current.flatMap(textsOf));
  const fits = (t: Triple): boolean => textsOf(t).every((x) => !texts.has(x));
  const add = (t: Triple): void => {
    s.current.push(t);
    for (const x of textsOf(t)) texts.add(x);
  };
  const take = (): GroupedBatch => {
    const batch = { triples: s.current };
    s.current = [];
    texts = new Set();
    return batch;
  };
  /** Fill the batch from the waiting records, in order; emit it each time it is full. */
  const refill = (out: GroupedBatch[]): void => {
    let i = 0;
    while (i < s.pending.length) {
      if (fits(s.pending[i])) {
        add(s.pending.splice(i, 1)[0]);
        if (s.current.length === size) {
          out.push(take());
          i = 0;
        }
      } else i++;
    }
  };
  return {
    push(t) {
      const out: GroupedBatch[] = [];
      if (fits(t)) add(t);
      else s.pending.push(t);
      if (s.current.length === size || s.pending.length > maxPending) {
        out.push(take());
        refill(out);
      }
      return out;
    },
    flush() {
      const out: GroupedBatch[] = [];
      while (s.current.length > 0 || s.pending.length > 0) {
        out.push(take());
        refill(out);
      }
      return keep(out);
    },
    state,
  };
}

function textsOf(t: Triple): string[] {
  return [t.query, t.positive, ...t.negatives];
}

function copyBuckets(b: Record<string, Triple[]>): Record<string, Triple[]> {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v.slice()]));
}
