// `npm run bench:train`: training-step throughput and peak memory of a MiniLM-L6-H384-shaped
// encoder (6 layers, hidden 384, 12 heads, random weights), MNRL, batch 32, one hard negative,
// queries ~16 and passages ~100 tokens: the tfjs engine on the backend present, then (loss and
// gradients only, not yet an optimizer step) the onnxruntime engine in a child process, so each
// has its own peak RSS.
//   BENCH_STEPS (default 3), BENCH_BATCH (32), BENCH_MINI_BATCH (GradCache mini-batch, default 16),
//   BENCH_ENGINE (tfjs | onnx; unset: both)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { createOnnxTrainState, onnxLossAndGradients } from '../src/engine/onnx/train-step.js';
import { readModelFolder } from '../src/model/folder.js';
import { loadTokenizer, type TextTokenizer } from '../src/model/tokenizer.js';
import { describeBackend, initBackend } from '../src/engine/backend.js';
import type { LossConfig } from '../src/losses/batch.js';
import { loadModel } from '../src/model/model.js';
import { ADAMW_DEFAULTS, adamwStep, initAdamW } from '../src/train/adamw.js';
import { clipGradients, globalNorm } from '../src/train/clip.js';
import { lossAndGradients } from '../src/train/gradients.js';
import { syntheticTexts, writeMiniLmFolder } from './model-shapes.js';

const steps = Number(process.env.BENCH_STEPS ?? 3);
const B = Number(process.env.BENCH_BATCH ?? 32);
const mini = Number(process.env.BENCH_MINI_BATCH ?? 16);

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const engine = process.env.BENCH_ENGINE;
const fixtures = new URL('../test/fixtures/tiny-bert', import.meta.url).pathname;
const dir = writeMiniLmFolder(fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-minilm-')), fixtures);
const batchAt = (tok: TextTokenizer, s: number) => ({
  query: tok.encodeBatch(syntheticTexts(B, 7, 3 * s + 1)),
  positive: tok.encodeBatch(syntheticTexts(B, 45, 3 * s + 2)),
  negatives: [tok.encodeBatch(syntheticTexts(B, 45, 3 * s + 3))],
});

if (engine === 'onnx') {
  await initBackend('cpu'); // the loss on the [rows, H] embeddings is computed with tfjs; it is tiny
  const folder = readModelFolder(dir);
  const state = await createOnnxTrainState(folder);
  const tok = loadTokenizer(dir, folder.maxSeqLength);
  console.log(`onnxruntime-node ${ort.env.versions.common} on CPU, ${os.availableParallelism()} threads`);
  const times: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    await onnxLossAndGradients(state, { name: 'mnrl', scale: 20, symmetric: false, mini_batch_size: B }, batchAt(tok, s));
    times.push((performance.now() - t0) / 1000);
    console.log(`onnx step ${s + 1}: ${times[s].toFixed(2)} s, ${(B / times[s]).toFixed(2)} triples/s`);
  }
  console.log(JSON.stringify({ bench: 'train', engine: 'onnx', loss: 'mnrl', batch: B, steps, median_step_s: +median(times).toFixed(3),
    triples_per_s: +(B / median(times)).toFixed(3), peak_rss_mb: Math.round(peakRssMb()), note: 'loss and gradients only (no optimizer step yet)' }));
  process.exit(0);
}

const info = await initBackend();
console.log(describeBackend(info));
const model = await loadModel(dir);
// The wasm heap is capped at 4 GiB: a plain batch of 32 triples does not fit, so GradCache
// (cached_mnrl, the same loss and gradients) bounds activation memory by the mini-batch.
const loss: LossConfig = { name: info.backend === 'wasm' ? 'cached_mnrl' : 'mnrl', scale: 20, symmetric: false, mini_batch_size: mini };
const opt = initAdamW(model.params);
const times: number[] = [];
for (let s = 0; s < steps; s++) {
  const batch = batchAt(model.tokenizer, s);
  const t0 = performance.now();
  const { grads } = lossAndGradients(model, loss, batch);
  clipGradients(grads, globalNorm(grads), 1.0);
  adamwStep(model.params, grads, opt, 2e-5, ADAMW_DEFAULTS);
  grads.forEach((g) => g.dispose());
  const dt = (performance.now() - t0) / 1000;
  times.push(dt);
  console.log(`step ${s + 1}: ${dt.toFixed(2)} s, ${(B / dt).toFixed(2)} triples/s (query ${batch.query.seqLen} / passage ${batch.positive.seqLen} tokens)`);
}
const med = median(times);
console.log(JSON.stringify({
  bench: 'train', engine: 'tfjs', backend: info.backend, device: info.device, loss: loss.name, mini_batch_size: loss.name === 'cached_mnrl' ? mini : null,
  batch: B, steps, median_step_s: +med.toFixed(3), triples_per_s: +(B / med).toFixed(3), peak_rss_mb: Math.round(peakRssMb()),
  tfjs_bytes_mb: Math.round(tf.memory().numBytes / 2 ** 20),
  reference: 'sentence-transformers 6 / PyTorch CPU: ~6 triples/s on this 2-core machine',
}));

if (engine === undefined) {
  // The onnxruntime engine in its own process, so its peak RSS is its own.
  spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, BENCH_ENGINE: 'onnx' } });
}
