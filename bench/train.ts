// `npm run bench:train`: training-step throughput and peak memory of a MiniLM-L6-H384-shaped
// encoder (6 layers, hidden 384, 12 heads, random weights), MNRL, batch 32, one hard negative,
// queries ~16 and passages ~100 tokens, on the tfjs backend present.
//   BENCH_STEPS (default 3), BENCH_BATCH (32), BENCH_MINI_BATCH (GradCache mini-batch, default 16)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
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

const info = await initBackend();
console.log(describeBackend(info));
const fixtures = new URL('../test/fixtures/tiny-bert', import.meta.url).pathname;
const dir = writeMiniLmFolder(fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-minilm-')), fixtures);
const model = await loadModel(dir);
// The wasm heap is capped at 4 GiB: a plain batch of 32 triples does not fit, so GradCache
// (cached_mnrl, the same loss and gradients) bounds activation memory by the mini-batch.
const loss: LossConfig = { name: info.backend === 'wasm' ? 'cached_mnrl' : 'mnrl', scale: 20, symmetric: false, mini_batch_size: mini };
const opt = initAdamW(model.params);
const times: number[] = [];
for (let s = 0; s < steps; s++) {
  const batch = {
    query: model.tokenizer.encodeBatch(syntheticTexts(B, 7, 3 * s + 1)),
    positive: model.tokenizer.encodeBatch(syntheticTexts(B, 45, 3 * s + 2)),
    negatives: [model.tokenizer.encodeBatch(syntheticTexts(B, 45, 3 * s + 3))],
  };
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
  bench: 'train', backend: info.backend, device: info.device, loss: loss.name, mini_batch_size: loss.name === 'cached_mnrl' ? mini : null,
  batch: B, steps, median_step_s: +med.toFixed(3), triples_per_s: +(B / med).toFixed(3), peak_rss_mb: Math.round(peakRssMb()),
  tfjs_bytes_mb: Math.round(tf.memory().numBytes / 2 ** 20),
  reference: 'sentence-transformers 6 / PyTorch CPU: ~6 triples/s on this 2-core machine',
}));
