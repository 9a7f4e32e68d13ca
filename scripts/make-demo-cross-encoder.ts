// Writes the demo cross-encoder (models/demo-cross-encoder): a small BertForSequenceClassification
// (one label) with models/default's shape and tokenizer, TRAINED on the demo's training pairs with
// binary cross-entropy on the logit, on onnxruntime through the project's ONNX autodiff, so that
// `densetrain mine --cross-encoder` and the mining demo have a teacher that knows the demo data.
// Deterministic: same data and seed, same bytes (on one machine; onnxruntime runs one thread).
// Run (after scripts/make-demo-data.ts and scripts/make-default-model.ts):
//   npx tsx scripts/make-demo-cross-encoder.ts
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseConfig } from '../src/model/config.js';
import { loadPairTokenizer } from '../src/model/pair-tokenizer.js';
import type { TensorMap } from '../src/model/safetensors.js';
import { modelCard } from './demo-cross-encoder/card.js';
import { crossEncoderConfig, inMemoryCrossEncoder, initCrossEncoderWeights, vocabSize, writeCrossEncoderFolder } from './demo-cross-encoder/folder.js';
import { readTrainRecords } from './demo-cross-encoder/pairs.js';
import { trainCrossEncoder, type TrainSettings } from './demo-cross-encoder/train.js';
import { DEFAULT_MODEL_DIR, MAX_SEQ_LENGTH } from './make-default-model.js';
import { DEMO_DATA_DIR } from './make-demo-data.js';

export const CE_SEED = 20240611;
export const DEMO_CE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'models', 'demo-cross-encoder');

export const TRAIN_SETTINGS: TrainSettings = { epochs: 12, batchSize: 32, lr: 1e-3, warmupSteps: 50, seed: CE_SEED, threads: 1 };

/** Fed layout (Linear weights [in, out]) -> transformers' ([out, in]): every matrix but the embedding tables. */
function toTransformersLayout(weights: TensorMap): TensorMap {
  const out: TensorMap = new Map();
  for (const [name, t] of weights) {
    if (t.shape.length !== 2 || name.startsWith('embeddings.')) {
      out.set(name, { shape: t.shape, data: Float32Array.from(t.data) });
      continue;
    }
    const [inp, o] = t.shape;
    const data = new Float32Array(t.data.length);
    for (let i = 0; i < inp; i++) for (let j = 0; j < o; j++) data[j * inp + i] = t.data[i * o + j];
    out.set(name, { shape: [o, inp], data });
  }
  return out;
}

export interface DemoCrossEncoderReport {
  pairs: number;
  steps: number;
  parameters: number;
  firstEpochLoss: number;
  lastEpochLoss: number;
  seconds: number;
}

/** Train on `dataDir`/train.jsonl and write `outDir` atomically (tokenizer files from `tokenizerDir`). */
export async function writeDemoCrossEncoder(dataDir: string, outDir: string, opts: { tokenizerDir?: string; settings?: TrainSettings; log?: (line: string) => void } = {}): Promise<DemoCrossEncoderReport> {
  const t0 = performance.now();
  const tokenizerDir = opts.tokenizerDir ?? DEFAULT_MODEL_DIR;
  const settings = opts.settings ?? TRAIN_SETTINGS;
  const raw = crossEncoderConfig(vocabSize(tokenizerDir));
  const fresh = initCrossEncoderWeights(parseConfig(raw), settings.seed);
  const ce = inMemoryCrossEncoder(outDir, raw, fresh, MAX_SEQ_LENGTH);
  const tokenizer = loadPairTokenizer(tokenizerDir, MAX_SEQ_LENGTH);
  const records = readTrainRecords(path.join(dataDir, 'train.jsonl'));
  const r = await trainCrossEncoder(ce, tokenizer, records, settings, opts.log);
  const weights = toTransformersLayout(r.weights);
  let parameters = 0;
  for (const t of weights.values()) parameters += t.data.length;
  const report = { pairs: r.pairs, steps: r.steps, parameters, firstEpochLoss: r.firstEpochLoss, lastEpochLoss: r.lastEpochLoss, seconds: (performance.now() - t0) / 1000 };
  writeCrossEncoderFolder(outDir, raw, weights, tokenizerDir, modelCard({ ...report, settings, records: records.length }));
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await writeDemoCrossEncoder(DEMO_DATA_DIR, DEMO_CE_DIR, { log: (line) => console.log(line) });
  console.log(`wrote ${DEMO_CE_DIR}: ${r.parameters} parameters, ${r.steps} steps on ${r.pairs} pairs, loss ${r.firstEpochLoss.toFixed(4)} -> ${r.lastEpochLoss.toFixed(4)}, ${r.seconds.toFixed(0)} s`);
}
