// The demo cross-encoder's training loop: epochs of labeled pairs (pairs.ts) in batches, binary
// cross-entropy on the logit (step.ts), AdamW with weight decay and a linear schedule with warmup
// (the host optimizer of the onnx engine), dropout off. Seeded: the same data and seed give the
// same weights (with the same onnxruntime kernels and thread count).
import { makeRng, seedRng } from '../../src/data/rng.js';
import { normParameterNames } from '../../src/model/config.js';
import type { CrossEncoderFolder } from '../../src/model/cross-encoder-folder.js';
import type { PairTokenizer } from '../../src/model/pair-tokenizer.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { ADAMW_DEFAULTS } from '../../src/train/host-optim.js';
import { hostAdamwStep, zeroMoments } from '../../src/train/host-optim.js';
import { lrAt } from '../../src/train/schedule.js';
import { epochPairs, type TrainRecord } from './pairs.js';
import { openTrainer } from './step.js';

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  seed: number;
  threads?: number;
}

export interface TrainResult {
  /** Trained weights in the fed layout (Linear weights [in, out]). */
  weights: TensorMap;
  steps: number;
  pairs: number;
  /** Mean loss of the first and of the last epoch. */
  firstEpochLoss: number;
  lastEpochLoss: number;
}

export async function trainCrossEncoder(ce: CrossEncoderFolder, tokenizer: PairTokenizer, records: TrainRecord[], s: TrainSettings, log: (line: string) => void = () => {}): Promise<TrainResult> {
  const trainer = await openTrainer(ce, tokenizer.padId, s.threads);
  try {
    const rng = makeRng(seedRng(s.seed));
    const epochs = Array.from({ length: s.epochs }, () => epochPairs(records, rng));
    const total = epochs.reduce((n, e) => n + Math.ceil(e.length / s.batchSize), 0);
    const moments = zeroMoments(trainer.weights);
    const normParams = normParameterNames(ce.encoder.config);
    const epochLoss: number[] = [];
    let step = 0;
    for (const [e, pairs] of epochs.entries()) {
      let sum = 0, batches = 0;
      for (let start = 0; start < pairs.length; start += s.batchSize) {
        const chunk = pairs.slice(start, start + s.batchSize);
        const batch = { pairs: chunk.map((p) => tokenizer.encodePair(p.query, p.document)), labels: chunk.map((p) => p.label) };
        const { loss, grads } = await trainer.lossAndGradients(batch);
        hostAdamwStep(trainer.weights, grads, moments, lrAt(step, s.lr, 'linear', s.warmupSteps, total), ADAMW_DEFAULTS, normParams);
        step++;
        sum += loss;
        batches++;
      }
      epochLoss.push(sum / batches);
      log(`epoch ${e + 1}/${s.epochs}: mean loss ${(sum / batches).toFixed(4)} (${step}/${total} steps)`);
    }
    return { weights: trainer.weights, steps: step, pairs: epochs.reduce((n, p) => n + p.length, 0), firstEpochLoss: epochLoss[0], lastEpochLoss: epochLoss.at(-1)! };
  } finally {
    await trainer.release();
  }
}
