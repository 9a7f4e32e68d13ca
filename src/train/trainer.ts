// The training loop. In order, each step: take a batch, compute loss and gradients, check the
// loss is finite, clip, update with AdamW at the scheduled learning rate, log a metrics row;
// every `save_every` steps a checkpoint, every `eval.every` steps an evaluation. The output folder
// is the run's alone: locked against a second process, and another run's files there are an
// error unless resumed or replaced (output-dir.ts).
import fs from 'node:fs';
import path from 'node:path';
import { type BeirSet, readBeir } from '../data/beir.js';
import { openTrainingStream, type TrainingStream } from '../data/stream.js';
import type { TrainingBatch } from '../data/triple.js';
import { evaluateRetrieval } from '../eval/evaluate.js';
import { writeBaseline, writeReport } from '../eval/report.js';
import { weightShapes } from '../model/config.js';
import { type ModelFolder, readModelFolder } from '../model/folder.js';
import { withTrainingPrompts } from './training-prompts.js';
import { resolveModel } from '../model/hub.js';
import { saveModelFolder } from '../model/save.js';
import { listCheckpoints, pruneCheckpoints, removeStaleTemps, readOptimizer, readTrainerState, saveCheckpoint, type TrainerState } from './checkpoint.js';
import { countTotalSteps } from './count-steps.js';
import { resolveEngine } from './engine.js';
import { guardWrite } from './fs-errors.js';
import { ADAMW_DEFAULTS, type HostMoments } from './host-optim.js';
import { type Learner, openLearner } from './learner.js';
import { defaultMemoryBudget, parseMemoryBudget } from './memory-budget.js';
import { prepareOutputDir } from './output-dir.js';
import type { Recipe } from './recipe.js';
import { acquireRunLock } from './run-lock.js';
import { checkRunOptions, runOptions } from './run-options.js';
import { lrAt } from './schedule.js';
import { streamRun } from './stream-run.js';
import { type Communicator, localSize, rankLine, worldCommunicator } from './mpi.js';
import { checkRanks, checkWorldSize, readRankBatch, rowGather } from './data-parallel.js';
import { lastEvalFromMetrics, trainingCardInfo, type LastEval } from './card-info.js';
import { describeEnvironment, writeRunRecord } from './run-record.js';
import { evalScalars, openTensorBoard, rowScalars } from './tensorboard.js';
import { progress, type Progress } from '../progress.js';

export interface MetricsRow {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  grad_norm: number;
  triples_per_s: number;
  [evalKey: string]: number;
}

export interface TrainResult {
  steps: number;
  finalDir: string;
  lastMetrics?: MetricsRow;
  evals: Record<string, number>[];
}

export interface TrainOptions {
  /** Where progress lines go (default: console.log). */
  log?: (line: string) => void;
  /** Called after every optimizer step with its metrics row. */
  onStep?: (row: MetricsRow) => void;
  /** Start a fresh run in an output_dir that holds another run, removing that run's files (only those). */
  overwriteOutputDir?: boolean;
  /** The data-parallel communicator (default: MPI's world when launched by mpirun or srun, else one process). */
  comm?: Communicator;
  /** Sum gradients in blocks of this many rows, as N ranks of this many rows with gathered rows do (step.ts blockRows). */
  gradientBlockRows?: number;
}

/** The checkpoint to resume from: `latest`, a folder, or none. */
function resumeDir(recipe: Recipe): string | undefined {
  const r = recipe.train.resume;
  if (r === null || r === undefined) return undefined;
  if (r === 'latest') return listCheckpoints(recipe.train.output_dir).at(-1)?.dir;
  if (!fs.existsSync(path.join(r, 'trainer_state.json'))) throw new Error(`train.resume: ${r} is not a checkpoint folder (no trainer_state.json)`);
  return r;
}

/**
 * metrics.jsonl rows up to `step` (a resumed run rewrites what came after its checkpoint). A torn
 * last line, from a crash mid-write, is dropped; a bad line before it is an error.
 */
function keepMetricsUpTo(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const kept: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let row: { step?: unknown };
    try {
      row = JSON.parse(line);
    } catch {
      if (lines.slice(i + 1).every((l) => l.trim() === '')) return; // torn last line
      throw new Error(`${file}: line ${i + 1}: not JSON; cannot resume over a damaged metrics file (move it away to start its rows afresh)`);
    }
    if (typeof row.step === 'number' && row.step <= step) kept.push(line);
  });
  fs.writeFileSync(`${file}.tmp`, kept.map((r) => r + '\n').join(''));
  fs.renameSync(`${file}.tmp`, file);
}

function warmupSteps(recipe: Recipe, total: number): number {
  const t = recipe.train;
  return t.warmup_ratio ? Math.ceil(t.warmup_ratio * total) : t.warmup_steps;
}

/** Retrieval metrics on the eval set, the embedding passes shown on `bar` (a big corpus takes minutes). */
async function evaluate(engine: Learner, set: BeirSet, bar: Progress): Promise<Record<string, number>> {
  const e = await evaluateRetrieval(set, (texts, role) =>
    engine.encodeAs(role, texts, { batchSize: 64, onProgress: (done, total) => bar.update(done, total, `embedding the eval ${role === 'query' ? 'queries' : 'corpus'}`) }));
  bar.done();
  return e;
}

function evalLine(step: number, e: Record<string, number>): string {
  return `eval at step ${step}: ${Object.entries(e).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`;
}

/** The recipe's engine on a model folder, with optimizer moments when resuming. */
function openEngine(recipe: Recipe, folder: ModelFolder, moments?: HostMoments, comm?: Communicator, blockRows?: number): Promise<Learner> {
  const ranks = comm?.size ?? 1;
  const name = resolveEngine(recipe.train.engine);
  if (ranks > 1 && name === 'tfjs') throw new Error(`train.engine: MPI needs the onnx engine (its gradients are host arrays to all-reduce); use --engine onnx`);
  const budget = parseMemoryBudget(recipe.train.memory_budget);
  // auto, the default, is what the engine can use: the tfjs engine has no step graph, so a size is an error there.
  if (name === 'tfjs' && typeof budget === 'number') throw new Error(`train.memory_budget is the onnx engine's (it runs micro-batches in parts of one graph within it); the tfjs engine runs chunk by chunk: use --engine onnx, or drop memory_budget`);
  if (name === 'tfjs' && recipe.train.execution_provider !== 'cpu') {
    throw new Error(`train.execution_provider ${recipe.train.execution_provider} is the onnx engine's; the tfjs engine runs on --backend (use --engine onnx, or drop execution_provider)`);
  }
  return openLearner(folder, {
    engine: name,
    loss: recipe.loss,
    moments,
    executionProvider: recipe.train.execution_provider,
    deviceId: ranks > 1 ? comm!.localRank : undefined,
    gather: ranks > 1 && recipe.loss.gather_across_devices ? rowGather(comm!) : undefined,
    blockRows,
    // auto shares the machine's memory among its ranks; a size is per rank.
    memoryBudget: budget === 'none' || name === 'tfjs' ? undefined : budget === 'auto' ? Math.floor(defaultMemoryBudget() / (ranks > 1 ? localSize() : 1)) : budget,
  });
}

/** [lossSum, triples] summed over ranks (float64: the sum one process would take). */
function sumAcross(comm: Communicator, lossSum: number, triples: number): [number, number] {
  const b = Float64Array.of(lossSum, triples);
  comm.allreduceFloat64(b);
  return [b[0], b[1]];
}

export async function train(recipe: Recipe, opts: TrainOptions = {}): Promise<TrainResult> {
  const comm = opts.comm ?? (await worldCommunicator());
  if (comm.size === 1) {
    const lock = acquireRunLock(recipe.train.output_dir);
    try {
      return await runLocked(recipe, opts, comm);
    } finally {
      lock.release();
    }
  }
  // Under MPI rank 0 alone holds the lock and writes; a rank that fails ends the job (the others would wait forever).
  const lock = comm.rank === 0 ? acquireRunLockOrAbort(recipe.train.output_dir, comm) : undefined;
  try {
    const r = await runLocked(recipe, opts, comm);
    lock?.release();
    comm.finalize();
    return r;
  } catch (e) {
    lock?.release();
    console.error(`densetrain: rank ${comm.rank}/${comm.size} failed: ${(e as Error).message}`);
    return comm.abort(1);
  }
}

function acquireRunLockOrAbort(dir: string, comm: Communicator): ReturnType<typeof acquireRunLock> {
  try {
    return acquireRunLock(dir);
  } catch (e) {
    console.error(`densetrain: rank ${comm.rank}/${comm.size} failed: ${(e as Error).message}`);
    return comm.abort(1);
  }
}

async function runLocked(recipe: Recipe, opts: TrainOptions, comm: Communicator): Promise<TrainResult> {
  const runStarted = performance.now();
  const rankLog = opts.log ?? ((l: string) => console.log(l));
  // Rank 0 alone logs and writes; every rank says first which it is.
  const lead = comm.rank === 0;
  const log = lead ? rankLog : () => {};
  if (comm.size > 1) rankLog(rankLine(comm));
  // A library caller's `log` gets the progress lines too; the CLI draws a bar on a terminal.
  const sink = { log, stream: opts.log || !lead ? null : process.stderr };
  const t = recipe.train;
  const out = t.output_dir;
  const metricsFile = path.join(out, 'metrics.jsonl');

  // 1. Model, optimizer and trainer state: fresh, or from a checkpoint (either engine's).
  if (lead) {
    removeStaleTemps(out);
    prepareOutputDir(out, t.resume, opts.overwriteOutputDir ?? false);
  }
  const from = resumeDir(recipe);
  const folder = withTrainingPrompts(readModelFolder(from ?? (await resolveModel(recipe.model.path)), { maxSeqLength: recipe.model.max_seq_length ?? undefined }), recipe.data.prompts);
  const state: TrainerState = from ? readTrainerState(from) : { step: 0, epoch: 0, total_steps: 0, data_state: undefined };
  const options = runOptions(recipe, folder.maxSeqLength);
  // Checkpoints from before run options were stored resume as before (the file list is still checked).
  if (from && state.run_options) checkRunOptions(from, state.run_options, options);
  if (from) checkWorldSize(from, state, comm.size);
  if (comm.size > 1) state.world_size = comm.size;
  state.run_options = options;
  // A resumed run may extend max_steps; otherwise it keeps the run's length (and so its schedule).
  if (from && t.max_steps) state.total_steps = t.max_steps;
  const moments = from ? readOptimizer(from, weightShapes(folder.config), state.step) : undefined;
  const engine = await openEngine(recipe, folder, moments, comm, opts.gradientBlockRows);
  // Gathered, the ranks' batches are rows of one global batch: one micro-batch's dropout seed, rows told apart by position.
  const gathered = comm.size > 1 && recipe.loss.gather_across_devices;
  log(engine.description);
  let stream: TrainingStream<TrainingBatch> | undefined;
  try {
    if (lead) writeRunRecord(out, recipe, describeEnvironment(engine, recipe), from ? state.step : undefined);
    const tb = lead && t.report_to?.includes('tensorboard') ? openTensorBoard(path.join(out, 'runs')) : undefined;
    if (from) {
      if (lead) keepMetricsUpTo(metricsFile, state.step);
      log(`resuming from ${from} at step ${state.step}`);
    } else {
      state.total_steps = await countTotalSteps(recipe, log, undefined, comm.size);
      if (lead) writeBaseline(out, undefined);
    }
    const total = state.total_steps;
    const warmup = warmupSteps(recipe, total);
    const adamCfg = { ...ADAMW_DEFAULTS, weightDecay: t.weight_decay };
    // The tokenizer is the checkpoint's when resuming: the base model.path may be gone by then.
    stream = openTrainingStream(recipe.data, streamRun(recipe, { tokenizer: { dir: folder.dir, maxSeqLength: folder.maxSeqLength } }), { resume: state.data_state as never });
    const evals: Record<string, number>[] = [];
    let lastMetrics: MetricsRow | undefined;
    const bar = progress('train', sink);
    const evalSet = recipe.eval && lead ? readBeir(recipe.eval.data, recipe.eval.split) : undefined;
    let lastEval: LastEval | undefined = from ? lastEvalFromMetrics(metricsFile) : undefined;

    if (evalSet && state.step === 0) {
      const e = await evaluate(engine, evalSet, progress('eval', sink));
      evals.push(e);
      lastEval = { step: 0, metrics: e };
      tb?.scalars(0, evalScalars(e));
      writeBaseline(out, e);
      bar.print(evalLine(0, e));
    }
    // 2. The loop.
    while (state.step < total) {
      const started = performance.now();
      let lossSum = 0, triples = 0, micro = 0;
      for (let m = 0; m < t.gradient_accumulation_steps; m++) {
        // Rank r takes batches r, r+N, ... of the one seeded stream: N ranks x accumulation A is one process x accumulation N*A.
        const { batch, read } = await readRankBatch(stream, comm);
        if (gathered && read > 0 && read < comm.size) {
          // Every rank must take part in the gather: a last group shorter than the ranks is not trained on.
          log(`the data ends with ${read} batch(es) for ${comm.size} ranks; with loss.gather_across_devices they are left out`);
          break;
        }
        micro += read;
        if (!batch) {
          if (read < comm.size) break;
          continue;
        }
        // Dropout masks are a function of (seed, step, micro-batch, column, site): a resumed run draws the same ones.
        // The micro-batch index is the one a single process reading the same stream would give this batch.
        const loss = await engine.accumulate(batch, { seed: t.seed, step: state.step, micro: gathered ? m : m * comm.size + comm.rank });
        if (!Number.isFinite(loss)) {
          engine.discard();
          const last = listCheckpoints(out).at(-1);
          throw new Error(`loss is ${loss} at step ${state.step + 1}; training stopped. Last good checkpoint: ${last ? last.dir : 'none'}. Lower train.lr or check the data.`);
        }
        lossSum += loss;
        triples += batch.query.batchSize;
      }
      if (micro === 0) break; // data exhausted
      const lr = lrAt(state.step, t.lr, t.schedule, warmup, total);
      const gradNorm = engine.update(micro, lr, t.max_grad_norm, adamCfg, comm.size > 1 ? (g) => comm.allreduceFloat32(g) : undefined);
      if (comm.size > 1) [lossSum, triples] = sumAcross(comm, lossSum, triples);
      state.step += 1;
      const dataState = stream.state();
      state.data_state = dataState;
      state.epoch = dataState.epoch;

      const row: MetricsRow = {
        step: state.step,
        epoch: state.epoch,
        loss: lossSum / micro,
        lr,
        grad_norm: gradNorm,
        triples_per_s: triples / ((performance.now() - started) / 1000),
      };
      if (evalSet && (state.step % recipe.eval!.every === 0 || state.step === total)) {
        const e = await evaluate(engine, evalSet, progress('eval', sink));
        evals.push(e);
        lastEval = { step: state.step, metrics: e };
        bar.print(evalLine(state.step, e));
        for (const [k, v] of Object.entries(e)) row[`eval_${k}`] = v;
        if (!state.best || e['ndcg@10'] > state.best.value) state.best = { metric: 'ndcg@10', value: e['ndcg@10'], step: state.step };
      }
      if (lead) guardWrite(out, 'the metrics row', metricsFile, () => fs.appendFileSync(metricsFile, JSON.stringify(row) + '\n'));
      tb?.scalars(row.step, rowScalars(row));
      lastMetrics = row;
      opts.onStep?.(row);
      bar.update(state.step, total, `loss ${row.loss.toFixed(4)} lr ${lr.toExponential(2)} grad_norm ${gradNorm.toFixed(3)} ${row.triples_per_s.toFixed(1)} triples/s`);
      if (state.step % t.save_every === 0 || state.step === total) {
        if (comm.size > 1) checkRanks(comm, engine.weights(), dataState, state.step);
        if (lead) guardWrite(out, `checkpoint step-${state.step}`, path.join(out, 'checkpoints'), () => {
          saveCheckpoint(out, folder, engine.weights(), engine.moments(), state, trainingCardInfo(recipe, state, engine.description, lastEval));
          pruneCheckpoints(out, t.save_total_limit, state.best?.step);
        });
      }
    }
    bar.done();
    // 3. The final model (the last weights; the best eval checkpoint is kept and named in trainer_state.json), and the report.
    const finalDir = path.join(out, 'final');
    if (lead) {
      guardWrite(out, 'the final model', finalDir, () => saveModelFolder(folder, finalDir, engine.weights(), trainingCardInfo(recipe, state, engine.description, lastEval)));
      guardWrite(out, 'the report', path.join(out, 'report.html'), () =>
        writeReport(out, { recipe, engine: engine.description, durationS: (performance.now() - runStarted) / 1000 }),
      );
    }
    return { steps: state.step, finalDir, lastMetrics, evals };
  } finally {
    await stream?.close();
    await engine.dispose();
  }
}
