// `densetrain eval`: retrieval metrics of a model on a BEIR folder.
import { readBeir } from '../data/beir.js';
import { evaluateRetrieval } from '../eval/evaluate.js';
import { sentenceTransformersNames } from '../eval/metrics.js';
import { loadModel } from '../model/model.js';
import { writeJsonAtomically } from '../atomic-file.js';

export interface EvalArgs {
  model: string;
  data: string;
  split: string;
  engine: 'tfjs' | 'onnx';
  batchSize: number;
  output?: string;
  /** Name the metrics as sentence-transformers does (`cosine_ndcg@10`). */
  stNames?: boolean;
}

export async function evalCommand(a: EvalArgs): Promise<Record<string, number>> {
  if (!Number.isInteger(a.batchSize) || a.batchSize < 1) throw new Error(`eval: batch size must be an integer >= 1 (got ${a.batchSize})`);
  const set = readBeir(a.data, a.split);
  let metrics: Record<string, number>;
  if (a.engine === 'onnx') {
    const { loadOnnxModel } = await import('../engine/onnx-encoder.js');
    const m = await loadOnnxModel(a.model);
    metrics = await evaluateRetrieval(set, (texts, role) => m.encodeAs(role, texts, { batchSize: a.batchSize }));
    await m.release();
  } else {
    const m = await loadModel(a.model);
    metrics = await evaluateRetrieval(set, (texts, role) => m.encodeAs(role, texts, { batchSize: a.batchSize }));
    m.dispose();
  }
  if (a.stNames) metrics = sentenceTransformersNames(metrics);
  if (a.output) {
    writeJsonAtomically(a.output, metrics);
  }
  return metrics;
}
