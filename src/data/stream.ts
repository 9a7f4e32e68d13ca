// The training data stream: records -> bounded shuffle buffer -> batches -> tokenized batches,
// epoch after epoch, tokenized ahead in worker threads. Everything that decides which batch comes
// next is plain data (PipelineState) taken after each batch, so a checkpoint resumes the stream
// exactly where the returned batches left it.
import { makeBatcher, type BatcherState, type GroupedBatch } from './batching.js';
import { type DataConfig, dataConfigProblems, requiredFields } from './config.js';
import { compileMapping } from './mapping.js';
import { makeRecordReader, type ReadState, type RecordStats } from './records.js';
import { openRejectLog, type RejectLog } from './rejects.js';
import { makeRng, seedRng, type RngState } from './rng.js';
import { shuffleIn, shuffleOut } from './shuffle.js';
import { listSources } from './sources.js';
import { openTokenizerPool } from './tokenize-pool.js';
import type { TrainingBatch, Triple, TripleBatch } from './triple.js';

export interface PipelineState {
  /** The data files, to refuse a resume over a different file list. */
  files: string[];
  epoch: number;
  /** Batches handed out in this epoch. */
  epochBatches: number;
  read: ReadState;
  rng: { pick: RngState; sample: RngState; shuffle: RngState };
  buffer: Triple[];
  batcher: BatcherState;
  /** Batches formed but not yet handed out (a flush can form several at once). */
  ready: GroupedBatch[];
  stats: RecordStats;
  done: boolean;
}

export interface TrainingStream<B> {
  /** The next batch, or null after the last epoch. */
  next(): Promise<B | null>;
  /** The position right after the last batch next() returned. */
  state(): PipelineState;
  close(): Promise<void>;
  stats(): RecordStats;
}

export interface StreamOptions {
  resume?: PipelineState;
  tokenize?: boolean;
}

/** The few scalars the stream reads besides the data config, passed explicitly by its caller. */
export interface StreamRun {
  /** The loss's name: which fields a record needs (e.g. teacher scores for margin_mse). */
  loss: string;
  batchSize: number;
  /** Seeds the file order, sampling and shuffling of every epoch. */
  seed: number;
  /** Epochs to read; null: endless (a run bounded by steps). */
  epochs: number | null;
  /** Where skipped records are logged; null: nowhere (they are still counted). */
  rejects: string | null;
  /** The tokenizer's folder and max length, asked only when the stream tokenizes. */
  tokenizer: () => { dir: string; maxSeqLength: number };
}

// RNG streams, each reseeded from (seed, epoch, stream) at the start of every epoch.
const FILE_ORDER = 1;
const PICK = 2;
const SAMPLE = 3;
const SHUFFLE = 4;

export function openTrainingStream(data: DataConfig, run: StreamRun, opts: StreamOptions & { tokenize: false }): TrainingStream<TripleBatch>;
export function openTrainingStream(data: DataConfig, run: StreamRun, opts?: StreamOptions & { tokenize?: true }): TrainingStream<TrainingBatch>;
export function openTrainingStream(data: DataConfig, run: StreamRun, opts: StreamOptions = {}): TrainingStream<TripleBatch | TrainingBatch> {
  const problems = dataConfigProblems(data, run.loss);
  if (problems.length > 0) throw new Error(`recipe: ${problems.join('; ')}`);
  const sources = listSources(data.train);
  if (sources.some((s) => s.kind === 'beir')) {
    if (data.num_negatives > 0) throw new Error('recipe: BEIR folders give (query, positive) pairs without negatives; set data.num_negatives: 0');
    if (data.batching === 'by_language' && data.columns.language !== '$file')
      throw new Error('recipe: BEIR folders have no language field; batching by language needs data.columns.language: $file (the folder name)');
  }
  const files = sources.map((s) => s.path);
  if (opts.resume) {
    const problem = fileListChange(opts.resume.files, files);
    if (problem) throw new Error(`cannot resume: data.train ${problem}`);
  }

  const required = requiredFields(data, run.loss);
  const mapping = compileMapping(data.columns, required);
  const beirColumns = { ...data.columns, query: 'query', positive: 'positive', negatives: null, positive_score: null, negative_scores: null };
  if (data.columns.language !== '$file') beirColumns.language = null;
  const beirMapping = compileMapping(beirColumns, required);
  // A checkpoint from before rejection counting (no `rejections`) keeps the whole log.
  const rejectsFile = run.rejects;
  const log = rejectsFile === null ? null : openRejectLog(rejectsFile, opts.resume ? (opts.resume.stats.rejections ?? Infinity) : undefined);
  // Every epoch reads the same files and meets the same bad records: they are logged in the first
  // only, so each appears once however many epochs the read-ahead runs through.
  const rejects: RejectLog = {
    path: rejectsFile ?? '',
    write: (r) => {
      if (s.epoch === 0) log?.write(r);
    },
    close: () => log?.close(),
  };
  const seed = run.seed;
  const endless = run.epochs === null;
  const batchSize = run.batchSize;

  const epochStart = (epoch: number): Pick<PipelineState, 'read' | 'rng' | 'epochBatches'> => {
    const order = sources.map((_, i) => i);
    if (data.shuffle) {
      const rng = makeRng(seedRng(seed, epoch, FILE_ORDER));
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    return {
      read: { order, nextFile: 0, slots: [], turn: 0 },
      rng: { pick: seedRng(seed, epoch, PICK), sample: seedRng(seed, epoch, SAMPLE), shuffle: seedRng(seed, epoch, SHUFFLE) },
      epochBatches: 0,
    };
  };

  const s: PipelineState = opts.resume
    ? structuredClone(opts.resume)
    : { files, epoch: 0, ...epochStart(0), buffer: [], batcher: { current: [], pending: [], buckets: {} }, ready: [], stats: { records: 0, skipped: 0, languages: {} }, done: false };
  const batcher = makeBatcher(data.batching, batchSize, data.drop_last, s.batcher);
  let rngs = { pick: makeRng(s.rng.pick), sample: makeRng(s.rng.sample), shuffle: makeRng(s.rng.shuffle) };
  const ctx = { sources, data, mapping, beirMapping, rejects };
  let records = makeRecordReader(ctx, s.read, s.stats, rngs);

  const snapshot = (): PipelineState => ({
    files,
    epoch: s.epoch,
    epochBatches: s.epochBatches,
    read: { ...s.read, order: s.read.order.slice(), slots: s.read.slots.map((x) => ({ file: x.file, pos: { ...x.pos } })) },
    rng: { pick: rngs.pick.state(), sample: rngs.sample.state(), shuffle: rngs.shuffle.state() },
    buffer: s.buffer.slice(),
    batcher: batcher.state(),
    ready: s.ready.slice(),
    stats: { ...s.stats, languages: { ...s.stats.languages } },
    done: s.done,
  });

  const endEpoch = async (): Promise<void> => {
    for (let t = shuffleOut(s.buffer, rngs.shuffle); t; t = shuffleOut(s.buffer, rngs.shuffle)) s.ready.push(...batcher.push(t));
    s.ready.push(...batcher.flush());
    if (s.epochBatches + s.ready.length === 0 && endless)
      throw new Error(`data.train yields no batch (${s.stats.records} good records, ${s.stats.skipped} skipped${s.stats.skipped > 0 && rejectsFile ? `; see ${rejectsFile}` : ''})`);
    s.epoch++;
    if (run.epochs !== null && s.epoch >= run.epochs) {
      s.done = true;
      return;
    }
    await records.close();
    Object.assign(s, epochStart(s.epoch));
    rngs = { pick: makeRng(s.rng.pick), sample: makeRng(s.rng.sample), shuffle: makeRng(s.rng.shuffle) };
    records = makeRecordReader(ctx, s.read, s.stats, rngs);
  };

  /** Form the next batch (no tokenization) with the state right after it. */
  const formBatch = async (): Promise<{ batch: TripleBatch; state: PipelineState } | null> => {
    while (s.ready.length === 0) {
      if (s.done) return null;
      const t = await records.next();
      if (t === null) await endEpoch();
      else {
        const out = data.shuffle ? shuffleIn(s.buffer, data.shuffle_buffer, t, rngs.shuffle) : t;
        if (out) s.ready.push(...batcher.push(out));
      }
    }
    const grouped = s.ready.shift()!;
    s.epochBatches++;
    return { batch: withMargins(grouped, data.num_negatives), state: snapshot() };
  };

  // The model is read only to tokenize: counting steps needs no model (and model.path may be a Hub id).
  const pool = opts.tokenize === false ? null : ((t) => openTokenizerPool(t.dir, t.maxSeqLength, data.tokenize_workers))(run.tokenizer());
  const tokenized = async (b: TripleBatch): Promise<TripleBatch | TrainingBatch> => {
    if (!pool) return b;
    const columns = [b.triples.map((t) => t.query), b.triples.map((t) => t.positive)];
    for (let k = 0; k < data.num_negatives; k++) columns.push(b.triples.map((t) => t.negatives[k]));
    const p = data.prompts ?? { query: '', positive: '', negatives: '' };
    const prompts = [p.query, p.positive, ...Array<string>(data.num_negatives).fill(p.negatives)];
    const [query, positive, ...negatives] = await pool.encode(columns, prompts);
    return { ...b, query, positive, negatives };
  };

  // Batches are formed one after another (a promise chain) and tokenized in parallel, `prefetch` ahead.
  type Item = { batch: TripleBatch | TrainingBatch; state: PipelineState } | null;
  const queue: Promise<Item>[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  let exhausted = false;
  let current = snapshot();
  const schedule = (): void => {
    while (!exhausted && queue.length < data.prefetch) {
      const formed = chain.then(formBatch);
      chain = formed;
      const item = formed.then(async (f) => {
        if (f === null) {
          exhausted = true;
          return null;
        }
        return { batch: await tokenized(f.batch), state: f.state };
      });
      item.catch(() => {}); // rejections surface in next(); this only keeps them from being "unhandled"
      queue.push(item);
    }
  };
  let closed = false;

  return {
    async next() {
      if (closed) throw new Error('training stream is closed');
      schedule();
      const head = queue.shift();
      const item = head ? await head : null;
      if (item === null) {
        queue.length = 0;
        current = snapshot();
        return null;
      }
      current = item.state;
      schedule();
      return item.batch;
    },
    state: () => structuredClone(current),
    stats: () => structuredClone(current.stats),
    async close() {
      if (closed) return;
      closed = true;
      await chain.catch(() => {});
      await records.close();
      await pool?.close();
      rejects.close();
    },
  } as TrainingStream<TripleBatch | TrainingBatch>;
}

/** How the file list differs from the checkpoint's, naming the first file that differs; null if it does not. */
export function fileListChange(then: string[], now: string[]): string | null {
  const i = then.findIndex((f, k) => f !== now[k]);
  if (i === -1 && then.length === now.length) return null;
  if (i === -1) return `now lists ${now.length} files, the checkpoint's run ${then.length}; the first new one is ${now[then.length]}`;
  if (i >= now.length) return `now lists ${now.length} files, the checkpoint's run ${then.length}; ${then[i]} is no longer listed`;
  return `lists other files than the checkpoint's run: file ${i + 1} was ${then[i]}, now ${now[i]}`;
}

/** teacherMargins [B, k] = positive_score - negative_score_k, when every record has the scores. */
function withMargins(g: GroupedBatch, k: number): TripleBatch {
  const batch: TripleBatch = { triples: g.triples, ...(g.language !== undefined ? { language: g.language } : {}) };
  if (k === 0 || !g.triples.every((t) => t.positiveScore !== undefined && t.negativeScores?.length === k)) return batch;
  const margins = new Float32Array(g.triples.length * k);
  g.triples.forEach((t, i) => t.negativeScores!.forEach((n, j) => (margins[i * k + j] = t.positiveScore! - n)));
  return { ...batch, teacherMargins: margins };
}
