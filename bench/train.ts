// `npm run bench:train`: full training steps (loss, gradients, clipping, AdamW; dropout 0.1 as in
// training) of a MiniLM-L6-H384-shaped encoder (6 layers, hidden 384, 12 heads, random weights),
// MNRL, batch 32, one hard negative, queries ~16 and passages ~100 tokens, on both engines side by
// side. Each engine runs in its own child process, so each peak RSS is its own.
//   BENCH_STEPS (default 3, after one warm-up step), BENCH_BATCH (32), BENCH_MINI_BATCH (the tfjs
//   engine's GradCache mini-batch on wasm, default 16), BENCH_ENGINE (tfjs | onnx; unset: both),
//   BENCH_PROFILE=DIR (onnx: write onnxruntime's profiles there)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/tfjs/backend.js';
import type { LossConfig } from '../src/losses/batch.js';
import { readModelFolder } from '../src/model/folder.js';
import { loadTokenizer } from '../src/model/tokenizer.js';
import { ADAMW_DEFAULTS } from '../src/train/host-optim.js';
import { openLearner } from '../src/train/learner.js';
import { syntheticTexts, writeMiniLmFolder } from './model-shapes.js';

const steps = Number(process.env.BENCH_STEPS ?? 3);
const B = Number(process.env.BENCH_BATCH ?? 32);
const mini = Number(process.env.BENCH_MINI_BATCH ?? 16);
const engineName = process.env.BENCH_ENGINE;

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (engineName === undefined) {
  const results: Record<string, number | string>[] = [];
  for (const name of ['tfjs', 'onnx']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_ENGINE: name } });
    process.stdout.write(r.stdout);
    const last = r.stdout.trim().split('\n').at(-1);
    if (r.status === 0 && last?.startsWith('{')) results.push(JSON.parse(last));
  }
  const [t, o] = results;
  if (t && o) console.log(`onnx / tfjs: ${(Number(o.triples_per_s) / Number(t.triples_per_s)).toFixed(1)}x triples/s; peak RSS ${o.peak_rss_mb} vs ${t.peak_rss_mb} MB (PyTorch on this machine: ~6 triples/s)`);
  process.exit(0);
}

const fixtures = new URL('../test/fixtures/tiny-bert', import.meta.url).pathname;
const dir = writeMiniLmFolder(fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-minilm-')), fixtures);
const folder = readModelFolder(dir);
const tok = loadTokenizer(dir, folder.maxSeqLength);
const backend = await initBackend(engineName === 'onnx' ? 'cpu' : undefined);
// The wasm heap is capped at 4 GiB: a plain batch of 32 triples does not fit, so the tfjs engine
// there uses GradCache (cached_mnrl: the same loss and gradients, activations bounded by the mini-batch).
const loss: LossConfig = { name: engineName === 'tfjs' && backend.backend === 'wasm' ? 'cached_mnrl' : 'mnrl', scale: 20, symmetric: false, mini_batch_size: mini };
const profile = process.env.BENCH_PROFILE;
const engine = await openLearner(folder, { engine: engineName === 'onnx' ? 'onnx' : 'tfjs', loss, profileDir: profile });
console.log(engine.description);

const times: number[] = [];
for (let s = 0; s <= steps; s++) {
  const batch = {
    query: tok.encodeBatch(syntheticTexts(B, 7, 3 * s + 1)),
    positive: tok.encodeBatch(syntheticTexts(B, 45, 3 * s + 2)),
    negatives: [tok.encodeBatch(syntheticTexts(B, 45, 3 * s + 3))],
  };
  const t0 = performance.now();
  const l = await engine.accumulate(batch, { seed: 0, step: s, micro: 0 });
  engine.update(1, 2e-5, 1.0, ADAMW_DEFAULTS);
  const dt = (performance.now() - t0) / 1000;
  if (s > 0) times.push(dt); // step 0 warms up (onnxruntime plans memory on its first run)
  console.log(`${engineName} step ${s}${s === 0 ? ' (warm-up)' : ''}: ${dt.toFixed(2)} s, ${(B / dt).toFixed(2)} triples/s, loss ${l.toFixed(4)} (query ${batch.query.seqLen} / passage ${batch.positive.seqLen} tokens)`);
}
await engine.dispose();
if (profile) printProfile(profile);
const med = median(times);
console.log(JSON.stringify({
  bench: 'train', engine: engineName, run_by: engine.description.replace(/^densetrain: /, ''), loss: loss.name,
  mini_batch_size: loss.name === 'cached_mnrl' ? mini : null, batch: B, steps, median_step_s: +med.toFixed(3),
  triples_per_s: +(B / med).toFixed(3), peak_rss_mb: Math.round(peakRssMb()),
}));

/** Kernel time by op type in the training sessions' onnxruntime profiles (Chrome trace JSON). */
function printProfile(dir: string): void {
  for (const file of fs.readdirSync(dir).filter((f) => f.startsWith('train-') && f.endsWith('.json'))) {
    const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { cat: string; name: string; dur: number; args: { op_name?: string } }[];
    const byOp = new Map<string, number>();
    for (const e of events) if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) byOp.set(e.args.op_name!, (byOp.get(e.args.op_name!) ?? 0) + e.dur);
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    const top = [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([op, d]) => `${op} ${((100 * d) / total).toFixed(0)}%`);
    console.log(`profile ${file}: kernels ${(total / 1e6).toFixed(2)} s over all steps; ${top.join(', ')}`);
  }
}
