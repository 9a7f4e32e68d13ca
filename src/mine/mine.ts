// Hard-negative mining with sentence-transformers' mine_hard_negatives semantics, streamed: the
// corpus is embedded (and/or indexed for BM25) once, then the queries go through in fixed chunks:
// first-stage candidates (range_max, default 200, + the most positives any query has, as
// sentence-transformers takes, unless --top-k says otherwise), scores from the cross-encoder when
// there is one (else the bi-encoder's cosine), the selection of select.ts, and rows appended to
// the output. Memory holds the corpus embeddings, the BM25 index, 12 bytes per corpus text (the
// texts are on disk, see text-store.ts), the queries, and one query chunk's candidates.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeRng, seedRng } from '../data/rng.js';
import type { CrossEncoder } from '../graphs/cross-encoder.js';
import type { OnnxEncoder } from '../graphs/onnx-encoder.js';
import { describeModelFolder } from '../model/folder.js';
import { Bm25Builder, type Bm25Index } from './bm25.js';
import { dotRow, embedCorpus, unit, type EmbeddingMatrix } from './dense.js';
import { openOnnxSearch, type DenseSearcher } from './onnx-search.js';
import { fuseRanks } from './fuse.js';
import { readMiningInput, type QueryGroup } from './inputs.js';
import { formatRow, openOutput, type OutputFormat } from './output.js';
import { TextStore } from './text-store.js';
import { emptySkipCounts, selectNegatives, type Candidate, type SelectOptions, type SkipCounts } from './select.js';

export type FirstStage = 'bm25' | 'dense' | 'hybrid';

/** sentence-transformers' selection options (select.ts), with range_max defaulted from top_k. */
export interface MineOptions extends Omit<SelectOptions, 'rangeMax'> {
  model: string;
  data: string;
  corpus?: string[];
  output: string;
  firstStage: FirstStage;
  /** First-stage candidates per query; default range_max + the most positives a query has. */
  topK?: number;
  crossEncoder?: string;
  rangeMax?: number;
  seed: number;
  queryColumn: string;
  positiveColumn: string;
  outputFormat: OutputFormat;
  batchSize: number;
  /** Queries per chunk (default QUERY_CHUNK); smaller in tests, to cross chunk boundaries. */
  queryChunk?: number;
}

export interface MineHooks {
  /** Lines for the user (the first says what computes). */
  log?: (line: string) => void;
  progress?: (stage: string, done: number, total: number) => void;
}

export interface MineSummary {
  output: string;
  records: number;
  queries: number;
  corpus: number;
  first_stage: FirstStage;
  candidates: number;
  range_max: number;
  scored_by: 'cross-encoder' | 'bi-encoder';
  resumed_at_query: number | null;
  rows_written: number;
  /** Rows (query, positive) not written: no negative (grouped) or fewer than num_negatives (n-tuple). */
  rows_dropped: number;
  /** Grouped rows written with fewer than num_negatives negatives. */
  rows_short: number;
  /** Candidates removed by each filter. */
  skipped: SkipCounts;
  positives_added_to_corpus: number;
  corpus_duplicates: number;
  /** Work done in this run, and its wall time in seconds by stage. */
  documents_embedded: number;
  queries_embedded: number;
  pairs_scored: number;
  seconds: { embed_corpus: number; index_bm25: number; embed_queries: number; search: number; cross_encoder: number; total: number };
}

/** Queries per chunk: the unit of batching and of resuming (so a resumed file equals a straight run's). */
export const QUERY_CHUNK = 256;

/** Corpus texts per embed call. */
const CORPUS_SLICE = 4096;

const RRF_K = 60;

export async function mine(o: MineOptions, hooks: MineHooks = {}): Promise<MineSummary> {
  const started = performance.now();
  checkOptions(o);
  const log = hooks.log ?? (() => {});
  const progress = hooks.progress ?? (() => {});
  fs.mkdirSync(path.dirname(path.resolve(o.output)), { recursive: true });
  const corpus = new TextStore(`${o.output}.corpus.tmp-${process.pid}`);
  try {
    return await mineWith(o, corpus, log, progress, started);
  } finally {
    corpus.close();
  }
}

async function mineWith(o: MineOptions, corpus: TextStore, log: (line: string) => void, progress: NonNullable<MineHooks['progress']>, started: number): Promise<MineSummary> {
  const input = await readMiningInput({ data: o.data, corpus: o.corpus, queryColumn: o.queryColumn, positiveColumn: o.positiveColumn }, corpus);
  const { groups } = input;
  const rangeMax = defaultRangeMax(o);
  // as sentence-transformers: the window plus room for the positives, which are masked out of it
  const pool = o.topK ?? rangeMax + input.maxPositives;

  let encoder: OnnxEncoder | null = null;
  let ce: CrossEncoder | null = null;
  let searcher: DenseSearcher | null = null;
  try {
    // The bi-encoder scores when no cross-encoder does, and searches unless BM25 alone does.
    const needBi = o.firstStage !== 'bm25' || !o.crossEncoder;
    log(`densetrain mine: onnxruntime-node on CPU, ${os.availableParallelism()} threads; ${o.firstStage} first stage` +
      `${o.crossEncoder ? `, cross-encoder ${o.crossEncoder}` : ''}${needBi ? `, bi-encoder ${o.model}` : ''}`);
    if (needBi) {
      const { loadOnnxModel } = await import('../graphs/onnx-encoder.js');
      encoder = await loadOnnxModel(o.model);
    } else describeModelFolder(o.model); // checked even when BM25 and the cross-encoder do all the work
    if (o.crossEncoder) {
      const { loadCrossEncoder } = await import('../graphs/cross-encoder.js');
      ce = await loadCrossEncoder(o.crossEncoder);
    }
    // after the models load, so a wrong model folder leaves no output behind
    const chunk = o.queryChunk ?? QUERY_CHUNK;
    const groupOf = new Map(groups.map((g, i) => [g.query, i]));
    const queryKey = o.outputFormat === 'grouped' ? 'query' : o.queryColumn;
    const opened = openOutput(o.output, recordedArgs(o), queryKey, groupOf, chunk);
    const enc = encoder;
    const embed = enc ? (texts: string[], role: 'query' | 'document') => enc.encodeAs(role, texts, { batchSize: o.batchSize }) : null;

    const seconds = { embed_corpus: 0, index_bm25: 0, embed_queries: 0, search: 0, cross_encoder: 0, total: 0 };
    const lap = stopwatch();
    const matrix = embed ? await embedCorpus(corpus.size, (s, e) => corpus.slice(s, e), embed, CORPUS_SLICE, (d) => progress('embed corpus', d, corpus.size)) : null;
    seconds.embed_corpus = lap();
    if (matrix && o.firstStage !== 'bm25') searcher = await openOnnxSearch(matrix);
    let bm25: Bm25Index | null = null;
    if (o.firstStage !== 'dense') {
      const b = new Bm25Builder();
      for (let i = 0; i < corpus.size; i++) {
        b.add(corpus.get(i));
        if (i % 10000 === 0) progress('index corpus', i, corpus.size);
      }
      bm25 = b.build();
    }
    seconds.index_bm25 = lap();

    const summary: MineSummary = {
      output: o.output, records: input.records, queries: groups.length, corpus: corpus.size, first_stage: o.firstStage,
      candidates: pool, range_max: rangeMax, scored_by: ce ? 'cross-encoder' : 'bi-encoder',
      resumed_at_query: opened.resumed ? opened.startGroup : null, rows_written: 0, rows_dropped: 0, rows_short: 0,
      skipped: emptySkipCounts(), positives_added_to_corpus: input.positivesAdded, corpus_duplicates: input.corpusDuplicates,
      documents_embedded: matrix ? corpus.size : 0, queries_embedded: 0, pairs_scored: 0, seconds,
    };
    const select: SelectOptions = {
      rangeMin: o.rangeMin, rangeMax, maxScore: o.maxScore, minScore: o.minScore, absoluteMargin: o.absoluteMargin,
      relativeMargin: o.relativeMargin, numNegatives: o.numNegatives, samplingStrategy: o.samplingStrategy,
    };
    const ctx: ChunkContext = { o, corpus, matrix, searcher, bm25, embed, ce, pool, select, summary };
    try {
      for (let start = opened.startGroup; start < groups.length; start += chunk) {
        const lines = await mineChunk(ctx, groups.slice(start, start + chunk), start);
        if (lines.length > 0) fs.writeSync(opened.fd, lines.join('\n') + '\n');
        progress('mine', Math.min(start + chunk, groups.length), groups.length);
      }
    } finally {
      fs.closeSync(opened.fd);
    }
    seconds.total = (performance.now() - started) / 1000;
    return summary;
  } finally {
    await encoder?.release();
    await ce?.release();
    await searcher?.release();
  }
}

interface ChunkContext {
  o: MineOptions;
  corpus: TextStore;
  matrix: EmbeddingMatrix | null;
  searcher: DenseSearcher | null;
  bm25: Bm25Index | null;
  embed: ((texts: string[], role: 'query' | 'document') => Promise<Float32Array[]>) | null;
  ce: CrossEncoder | null;
  pool: number;
  select: SelectOptions;
  summary: MineSummary;
}

/** The output lines of one chunk of query groups (`first` is the index of its first group). */
async function mineChunk(c: ChunkContext, groups: QueryGroup[], first: number): Promise<string[]> {
  const { o, corpus, matrix } = c;
  const seconds = c.summary.seconds;
  const lap = stopwatch();
  const qEmb = c.embed ? (await c.embed(groups.map((g) => g.query), 'query')).map((v, i) => unit(v, first + i)) : null;
  if (qEmb) c.summary.queries_embedded += qEmb.length;
  seconds.embed_queries += lap();

  // first stage
  const dense = c.searcher ? await c.searcher.search(qEmb!, c.pool) : null;
  const lexical = o.firstStage !== 'dense' ? groups.map((g) => c.bm25!.search(g.query, c.pool)) : null;
  const hits = o.firstStage === 'dense' ? dense! : o.firstStage === 'bm25' ? lexical! : dense!.map((d, q) => fuseRanks([d, lexical![q]], RRF_K, c.pool));
  const cands: Candidate[][] = hits.map((h) => h.map(({ index }) => ({ doc: index, score: 0 })));
  seconds.search += lap();

  // scores: the cross-encoder's, else cosine
  let posScores: number[][];
  if (c.ce) {
    const pairs: [string, string][] = [];
    groups.forEach((g, q) => {
      for (const cand of cands[q]) pairs.push([g.query, corpus.get(cand.doc)]);
      for (const p of g.positives) pairs.push([g.query, corpus.get(p)]);
    });
    const { scores } = await c.ce.predict(pairs, { batchSize: o.batchSize });
    c.summary.pairs_scored += pairs.length;
    seconds.cross_encoder += lap();
    let k = 0;
    posScores = groups.map((g, q) => {
      for (const cand of cands[q]) cand.score = scores[k++];
      return g.positives.map(() => scores[k++]);
    });
  } else {
    cands.forEach((list, q) => list.forEach((cand) => (cand.score = dotRow(matrix!, cand.doc, qEmb![q]))));
    posScores = groups.map((g, q) => g.positives.map((p) => dotRow(matrix!, p, qEmb![q])));
  }

  const lines: string[] = [];
  groups.forEach((g, q) => {
    const rng = makeRng(seedRng(o.seed, first + q));
    const chosen = selectNegatives(cands[q], new Set(g.positives), posScores[q], c.select, rng, c.summary.skipped);
    const complete = chosen.length === o.numNegatives;
    const write = o.outputFormat === 'n-tuple' ? complete : chosen.length > 0;
    const negatives = write ? chosen.map((n) => ({ document: corpus.get(n.doc), score: n.score })) : [];
    g.positives.forEach((p, i) => {
      if (!write) {
        c.summary.rows_dropped++;
        return;
      }
      if (!complete) c.summary.rows_short++;
      c.summary.rows_written++;
      const row = {
        query: g.query, positive: corpus.get(p), positiveScore: posScores[q][i], language: g.languages[i], negatives,
      };
      lines.push(formatRow(row, o.outputFormat, { query: o.queryColumn, positive: o.positiveColumn }));
    });
  });
  return lines;
}

/** Seconds since the previous call (or since it was made). */
function stopwatch(): () => number {
  let t = performance.now();
  return () => {
    const now = performance.now();
    const s = (now - t) / 1000;
    t = now;
    return s;
  };
}

/** The arguments a resume must repeat, by flag name (paths absolute). */
function recordedArgs(o: MineOptions): Record<string, unknown> {
  return {
    model: path.resolve(o.model), data: path.resolve(o.data), corpus: (o.corpus ?? []).map((c) => path.resolve(c)),
    'first-stage': o.firstStage, 'top-k': o.topK ?? null, 'cross-encoder': o.crossEncoder ? path.resolve(o.crossEncoder) : null,
    'range-min': o.rangeMin, 'range-max': o.rangeMax ?? null, 'max-score': o.maxScore ?? null, 'min-score': o.minScore ?? null,
    'absolute-margin': o.absoluteMargin ?? null, 'relative-margin': o.relativeMargin ?? null, 'num-negatives': o.numNegatives,
    'sampling-strategy': o.samplingStrategy, seed: o.seed, 'query-column': o.queryColumn, 'positive-column': o.positiveColumn,
    'output-format': o.outputFormat, 'batch-size': o.batchSize,
  };
}

function checkOptions(o: MineOptions): void {
  const ints: [string, number | undefined, number][] = [
    ['top-k', o.topK, 1], ['range-min', o.rangeMin, 0], ['range-max', o.rangeMax, 1], ['num-negatives', o.numNegatives, 1],
    ['seed', o.seed, -(2 ** 53)], ['batch-size', o.batchSize, 1],
  ];
  for (const [flag, v, min] of ints)
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new Error(`--${flag}: expected an integer >= ${min}, got ${v}`);
  const nums: [string, number | undefined][] = [
    ['max-score', o.maxScore], ['min-score', o.minScore], ['absolute-margin', o.absoluteMargin], ['relative-margin', o.relativeMargin],
  ];
  for (const [flag, v] of nums) if (v !== undefined && !Number.isFinite(v)) throw new Error(`--${flag}: expected a number, got ${v}`);
  const rangeMax = defaultRangeMax(o);
  if (o.rangeMin >= rangeMax) throw new Error(`--range-min ${o.rangeMin} leaves no candidate below --range-max ${rangeMax}`);
}

function defaultRangeMax(o: MineOptions): number {
  return o.rangeMax ?? o.topK ?? 200;
}
