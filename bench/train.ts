// `npm run bench:train`: training steps (loss, gradients, clipping, AdamW; dropout 0.1 as in
// training) on the onnx engine for issue #17's three shapes, random weights (model-shapes.ts):
//   minilm     MiniLM-L6-H384, MNRL, batch 32 + 1 hard negative, passages of 150 words cut to 128 tokens
//   bert-mini  BERT-mini (L4 H256, 30,522 rows), MNRL in-batch, batch 32, the same passages
//   xlmr-base  xlm-roberta-base (250,002 rows; built in the temp folder on demand, never committed),
//              batch 32 + 1 hard negative
// Queries are 10 words. Texts are drawn from bert-base-uncased's real vocabulary
// (../shared/reference/tokenizers, or BENCH_VOCAB); xlmr-base tokenizes them with tiny-xlmr's tokenizer.
// Each shape runs in a child process per variant, so each peak RSS is its own:
//   parts      micro-batches in as few step-graph parts as fit (train.memory_budget: auto, the default:
//              80% of the memory available; BENCH_BUDGET=6GB sets another)
//   chunks     every backward pass recomputes its chunk's forward (train.memory_budget: none)
// Printed per run: median triples/s over BENCH_STEPS steps after a warm-up, peak RSS, host time per
// step by task, and with BENCH_PROFILE=1 onnxruntime's kernel time by op type.
//   BENCH_SHAPES (default minilm,bert-mini,xlmr-base), BENCH_VARIANTS (parts,chunks),
//   BENCH_STEPS (3), BENCH_BATCH (32)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LossBatch, LossConfig } from '../src/losses/batch.js';
import { peakResidentBytes } from '../src/graphs/training/step-memory.js';
import { readModelFolder } from '../src/model/folder.js';
import { loadTokenizer } from '../src/model/tokenizer.js';
import { ADAMW_DEFAULTS } from '../src/train/host-optim.js';
import { openLearner } from '../src/train/learner.js';
import { defaultMemoryBudget, parseMemoryBudget } from '../src/train/memory-budget.js';
import { bertBaseUncased, SHAPES, vocabularyTexts, writeShapeFolder } from './model-shapes.js';

/** What each shape trains, and sentence-transformers 6.0.1 / PyTorch 2.13 fp32 on this machine (issue #17). */
const WORK: Record<string, { negatives: number; pytorch: number; pytorchGb?: number }> = {
  minilm: { negatives: 1, pytorch: 7.2, pytorchGb: 3.2 },
  'bert-mini': { negatives: 0, pytorch: 31 },
  'xlmr-base': { negatives: 1, pytorch: 0.82, pytorchGb: 15.3 },
};
const steps = Number(process.env.BENCH_STEPS ?? 3);
const B = Number(process.env.BENCH_BATCH ?? 32);
const FIX = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];


const run = process.env.BENCH_RUN;
if (run === undefined) {
  const shapes = (process.env.BENCH_SHAPES ?? 'minilm,bert-mini,xlmr-base').split(',');
  const variants = (process.env.BENCH_VARIANTS ?? 'parts,chunks').split(',');
  const rows: Record<string, string | number>[] = [];
  for (const shape of shapes) {
    if (!WORK[shape]) throw new Error(`BENCH_SHAPES: no shape "${shape}" (${Object.keys(WORK).join(', ')})`);
    for (const variant of variants) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_RUN: `${shape}:${variant}` } });
      process.stdout.write(r.stdout);
      const last = r.stdout.trim().split('\n').at(-1);
      if (r.status === 0 && last?.startsWith('{')) rows.push(JSON.parse(last));
      else console.log(`${shape} ${variant}: failed (exit ${r.status})`);
    }
  }
  console.log('\n| shape | variant | triples/s | peak RSS | vs PyTorch fp32 |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    const w = WORK[r.shape as string];
    const mem = w.pytorchGb ? `, ${(Number(r.peak_rss_mb) / 1024 / w.pytorchGb).toFixed(2)}x its ${w.pytorchGb} GB` : '';
    console.log(`| ${r.shape} | ${r.variant} | ${r.triples_per_s} | ${(Number(r.peak_rss_mb) / 1024).toFixed(2)} GB | ${(Number(r.triples_per_s) / w.pytorch).toFixed(2)}x its ${w.pytorch}${mem} |`);
  }
  process.exit(0);
}

const [shape, variant] = run.split(':');
const cache = path.join(os.tmpdir(), `densetrain-bench-${shape}`);
const tokenizerFrom = shape === 'xlmr-base' ? path.join(FIX, 'tiny-xlmr') : bertBaseUncased();
if (!fs.existsSync(path.join(cache, 'model.safetensors'))) {
  const building = `${cache}.tmp-${process.pid}`;
  writeShapeFolder(building, SHAPES[shape], tokenizerFrom, 128);
  fs.rmSync(cache, { recursive: true, force: true });
  fs.renameSync(building, cache);
}
const folder = readModelFolder(cache);
const tok = loadTokenizer(cache, folder.maxSeqLength);
const vocab = bertBaseUncased();
const loss: LossConfig = { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: 32 };
const timings = new Map<string, number>();
const profileDir = process.env.BENCH_PROFILE ? fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-profile-')) : undefined;
const learner = await openLearner(folder, { engine: 'onnx', loss, memoryBudget: variant === 'parts' ? (process.env.BENCH_BUDGET ? budgetBytes(process.env.BENCH_BUDGET) : defaultMemoryBudget()) : undefined, timings, profileDir });
console.log(`${SHAPES[shape].label} (${shape}), ${variant}: ${learner.description}`);

const batchOf = (s: number): LossBatch => ({
  query: tok.encodeBatch(vocabularyTexts(vocab, B, 10, 3 * s + 1)),
  positive: tok.encodeBatch(vocabularyTexts(vocab, B, 150, 3 * s + 2)),
  negatives: WORK[shape].negatives ? [tok.encodeBatch(vocabularyTexts(vocab, B, 150, 3 * s + 3))] : [],
});
const times: number[] = [];
let optimizerMs = 0;
for (let s = 0; s <= steps; s++) {
  const batch = batchOf(s);
  if (s === 1) timings.clear(); // step 0 warms up (onnxruntime plans its first runs)
  const t0 = performance.now();
  const l = await learner.accumulate(batch, { seed: 0, step: s, micro: 0 });
  const t1 = performance.now();
  learner.update(1, 2e-5, 1.0, ADAMW_DEFAULTS);
  const t2 = performance.now();
  if (s > 0) {
    times.push((t2 - t0) / 1000);
    optimizerMs += t2 - t1;
  }
  console.log(`  step ${s}${s === 0 ? ' (warm-up)' : ''}: ${((t2 - t0) / 1000).toFixed(2)} s, peak RSS so far ${(peakResidentBytes() / 2 ** 30).toFixed(2)} GB, loss ${l.toFixed(4)} (query ${batch.query.seqLen} / passage ${batch.positive.seqLen} tokens)`);
}
await learner.dispose();
const med = median(times);
const perStep = (ms: number) => +(ms / steps / 1000).toFixed(3);
const host: Record<string, number> = { 'clipping + AdamW': perStep(optimizerMs) };
for (const [task, ms] of timings) host[task] = perStep(ms);
console.log(`  seconds per step by task: ${Object.entries(host).map(([k, v]) => `${k} ${v}`).join(', ')}`);
if (profileDir) printProfile(profileDir);
console.log(JSON.stringify({
  bench: 'train', shape, variant, batch: B, negatives: WORK[shape].negatives, steps, median_step_s: +med.toFixed(3),
  triples_per_s: +(B / med).toFixed(3), peak_rss_mb: Math.round(peakResidentBytes() / 2 ** 20), seconds_per_step: host,
}));

/** Kernel time by op type in the training sessions' onnxruntime profiles (Chrome trace JSON). */
function printProfile(dir: string): void {
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { cat: string; name: string; dur: number; args: { op_name?: string } }[];
    const byOp = new Map<string, number>();
    for (const e of events) if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) byOp.set(e.args.op_name!, (byOp.get(e.args.op_name!) ?? 0) + e.dur);
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    const top = [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([op, d]) => `${op} ${((100 * d) / total).toFixed(0)}%`);
    console.log(`  profile ${file}: kernels ${(total / 1e6).toFixed(2)} s over all steps; ${top.join(', ')}`);
  }
}

function budgetBytes(value: string): number {
  const b = parseMemoryBudget(value, 'BENCH_BUDGET');
  if (typeof b !== 'number') throw new Error('BENCH_BUDGET: a size, e.g. 3.2GB');
  return b;
}
