// `densetrain eval`: retrieval metrics of a model on a BEIR folder.
import { readBeir } from '../data/beir.js';
import { evaluateRetrieval } from '../eval/evaluate.js';
import { sentenceTransformersNames } from '../eval/metrics.js';
import { loadOnnxModel } from '../graphs/onnx-encoder.js';
import { writeJsonAtomically } from '../atomic-file.js';

export interface EvalArgs {
  model: string;
  data: string;
  split: string;
  batchSize: number;
  output?: string;
  /** Name the metrics as sentence-transformers does (`cosine_ndcg@10`). */
  stNames?: boolean;
}

export async function evalCommand(a: EvalArgs): Promise<Record<string, number>> {
  if (!Number.isInteger(a.batchSize) || a.batchSize < 1) throw new Error(`eval: batch size must be an integer >= 1 (got ${a.batchSize})`);
  const set = readBeir(a.data, a.split);
  let metrics: Record<string, number>;
  const m = await loadOnnxModel(a.model);
  try {
    metrics = await evaluateRetrieval(set, (texts, role) => m.encodeAs(role, texts, { batchSize: a.batchSize }));
  } finally {
    await m.release();
  }
  if (a.stNames) metrics = sentenceTransformersNames(metrics);
  if (a.output) {
    writeJsonAtomically(a.output, metrics);
  }
  return metrics;
}
