// The training loop. In order, each step: take a batch, compute loss and gradients, check the
// loss is finite, clip, update with AdamW at the scheduled learning rate, log a metrics row;
// every `save_every` steps a checkpoint, every `eval.every` steps an evaluation.
import fs from 'node:fs';
import path from 'node:path';
import { type BeirSet, readBeir } from '../data/beir.js';
import { openTrainingStream, type TrainingStream } from '../data/stream.js';
import type { TrainingBatch } from '../data/triple.js';
import { evaluateRetrieval } from '../eval/evaluate.js';
import { writeBaseline, writeReport } from '../eval/report.js';
import { weightShapes } from '../model/config.js';
import { type ModelFolder, readModelFolder } from '../model/folder.js';
import { saveModelFolder } from '../model/save.js';
import { ADAMW_DEFAULTS } from './adamw.js';
import { listCheckpoints, pruneCheckpoints, removeStaleTemps, readOptimizer, readTrainerState, saveCheckpoint, type TrainerState } from './checkpoint.js';
import { resolveEngine, type TrainEngine } from './engine.js';
import type { HostMoments } from './host-optim.js';
import { openOnnxEngine } from './onnx-engine.js';
import type { Recipe } from './recipe.js';
import { lrAt } from './schedule.js';
import { openTfjsEngine } from './tfjs-engine.js';
import { progress, type Progress } from '../cli/progress.js';

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
}

/** The checkpoint to resume from: `latest`, a folder, or none. */
function resumeDir(recipe: Recipe): string | undefined {
  const r = recipe.train.resume;
  if (r === null || r === undefined) return undefined;
  if (r === 'latest') return listCheckpoints(recipe.train.output_dir).at(-1)?.dir;
  if (!fs.existsSync(path.join(r, 'trainer_state.json'))) throw new Error(`train.resume: ${r} is not a checkpoint folder (no trainer_state.json)`);
  return r;
}

/** Steps in the run: max_steps, else epochs × batches per epoch (counted by a pass over the data without tokenizing). */
async function countTotalSteps(recipe: Recipe, log: (line: string) => void): Promise<number> {
  if (recipe.train.max_steps) return recipe.train.max_steps;
  log(`counting the batches of ${recipe.train.epochs} epoch(s) for the learning-rate schedule (set train.max_steps to skip this pass)`);
  const stream = openTrainingStream(recipe, { tokenize: false });
  let batches = 0;
  while (await stream.next()) batches++;
  await stream.close();
  return Math.ceil(batches / recipe.train.gradient_accumulation_steps);
}

/** metrics.jsonl rows up to `step` (a resumed run rewrites what came after its checkpoint). */
function keepMetricsUpTo(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).filter((l) => JSON.parse(l).step <= step);
  fs.writeFileSync(file, rows.map((r) => r + '\n').join(''));
}

function warmupSteps(recipe: Recipe, total: number): number {
  const t = recipe.train;
  return t.warmup_ratio ? Math.ceil(t.warmup_ratio * total) : t.warmup_steps;
}

/** Retrieval metrics on the eval set, the embedding passes shown on `bar` (a big corpus takes minutes). */
async function evaluate(engine: TrainEngine, set: BeirSet, bar: Progress): Promise<Record<string, number>> {
  const e = await evaluateRetrieval(set, (texts, role) =>
    engine.encodeAs(role, texts, { batchSize: 64, onProgress: (done, total) => bar.update(done, total, `embedding the eval ${role === 'query' ? 'queries' : 'corpus'}`) }));
  bar.done();
  return e;
}

function evalLine(step: number, e: Record<string, number>): string {
  return `eval at step ${step}: ${Object.entries(e).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`;
}

/** The recipe's engine on a model folder, with optimizer moments when resuming. */
function openEngine(recipe: Recipe, folder: ModelFolder, moments?: HostMoments): Promise<TrainEngine> {
  const name = resolveEngine(recipe.train.engine);
  if (name === 'tfjs' && recipe.train.execution_provider !== 'cpu') {
    throw new Error(`train.execution_provider ${recipe.train.execution_provider} is the onnx engine's; the tfjs engine runs on --backend (use --engine onnx, or drop execution_provider)`);
  }
  return name === 'tfjs'
    ? openTfjsEngine(folder, recipe.loss, moments)
    : openOnnxEngine(folder, recipe.loss, moments, { executionProvider: recipe.train.execution_provider });
}

export async function train(recipe: Recipe, opts: TrainOptions = {}): Promise<TrainResult> {
  const runStarted = performance.now();
  const log = opts.log ?? ((l: string) => console.log(l));
  // A library caller's `log` gets the progress lines too; the CLI draws a bar on a terminal.
  const sink = { log, stream: opts.log ? null : process.stderr };
  const t = recipe.train;
  const out = t.output_dir;
  fs.mkdirSync(out, { recursive: true });
  const metricsFile = path.join(out, 'metrics.jsonl');

  // 1. Model, optimizer and trainer state: fresh, or from a checkpoint (either engine's).
  removeStaleTemps(out);
  const from = resumeDir(recipe);
  const folder = readModelFolder(from ?? recipe.model.path, { maxSeqLength: recipe.model.max_seq_length ?? undefined });
  const state: TrainerState = from ? readTrainerState(from) : { step: 0, epoch: 0, total_steps: 0, data_state: undefined };
  // A resumed run may extend max_steps; otherwise it keeps the run's length (and so its schedule).
  if (from && t.max_steps) state.total_steps = t.max_steps;
  const moments = from ? readOptimizer(from, weightShapes(folder.config), state.step) : undefined;
  const engine = await openEngine(recipe, folder, moments);
  log(engine.description);
  let stream: TrainingStream<TrainingBatch> | undefined;
  try {
    if (from) {
      keepMetricsUpTo(metricsFile, state.step);
      log(`resuming from ${from} at step ${state.step}`);
    } else {
      state.total_steps = await countTotalSteps(recipe, log);
      if (fs.existsSync(metricsFile)) fs.rmSync(metricsFile);
      writeBaseline(out, undefined);
    }
    const total = state.total_steps;
    const warmup = warmupSteps(recipe, total);
    const adamCfg = { ...ADAMW_DEFAULTS, weightDecay: t.weight_decay };
    stream = openTrainingStream(recipe, { resume: state.data_state as never });
    const evals: Record<string, number>[] = [];
    let lastMetrics: MetricsRow | undefined;
    const bar = progress('train', sink);
    const evalSet = recipe.eval ? readBeir(recipe.eval.data, recipe.eval.split) : undefined;

    if (evalSet && state.step === 0) {
      const e = await evaluate(engine, evalSet, progress('eval', sink));
      evals.push(e);
      writeBaseline(out, e);
      bar.print(evalLine(0, e));
    }
    // 2. The loop.
    while (state.step < total) {
      const started = performance.now();
      let lossSum = 0, triples = 0, micro = 0;
      for (; micro < t.gradient_accumulation_steps; micro++) {
        const batch = await stream.next();
        if (!batch) break;
        // Dropout masks are a function of (seed, step, micro-batch): a resumed run draws the same ones.
        const loss = await engine.accumulate(batch, (t.seed * 1_000_003 + state.step) * 64 + micro);
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
      const gradNorm = engine.update(micro, lr, t.max_grad_norm, adamCfg);
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
        bar.print(evalLine(state.step, e));
        for (const [k, v] of Object.entries(e)) row[`eval_${k}`] = v;
        if (!state.best || e['ndcg@10'] > state.best.value) state.best = { metric: 'ndcg@10', value: e['ndcg@10'], step: state.step };
      }
      fs.appendFileSync(metricsFile, JSON.stringify(row) + '\n');
      lastMetrics = row;
      opts.onStep?.(row);
      bar.update(state.step, total, `loss ${row.loss.toFixed(4)} lr ${lr.toExponential(2)} grad_norm ${gradNorm.toFixed(3)} ${row.triples_per_s.toFixed(1)} triples/s`);
      if (state.step % t.save_every === 0 || state.step === total) {
        saveCheckpoint(out, folder, engine.weights(), engine.moments(), state);
        pruneCheckpoints(out, t.save_total_limit, state.best?.step);
      }
    }
    bar.done();
    // 3. The final model (the last weights; the best eval checkpoint is kept and named in trainer_state.json), and the report.
    const finalDir = path.join(out, 'final');
    saveModelFolder(folder, finalDir, engine.weights());
    writeReport(out, { recipe, engine: engine.description, durationS: (performance.now() - runStarted) / 1000 });
    return { steps: state.step, finalDir, lastMetrics, evals };
  } finally {
    await stream?.close();
    await engine.dispose();
  }
}
