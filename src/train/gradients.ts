// Loss and gradients of one batch for the recipe's loss, keyed by Hugging Face parameter name.
import * as tf from '@tensorflow/tfjs';
import { columnDropout, type LossBatch, type LossConfig } from '../losses/batch.js';
import { cachedMnrlGradients } from '../losses/cached-mnrl.js';
import { marginMseLoss } from '../losses/margin-mse.js';
import { mnrlLoss } from '../losses/mnrl.js';
import type { SentenceModel } from '../model/model.js';

/** The batch's loss as a differentiable scalar (mnrl, margin_mse); `stepSeed` turns on training-mode dropout. */
export function batchLoss(model: SentenceModel, loss: LossConfig, batch: LossBatch, stepSeed?: number): tf.Scalar {
  const q = model.embed(batch.query, columnDropout(stepSeed, 0));
  const p = model.embed(batch.positive, columnDropout(stepSeed, 1));
  const negs = batch.negatives.map((n, i) => model.embed(n, columnDropout(stepSeed, 2 + i)));
  if (loss.name === 'margin_mse') {
    if (!batch.teacherMargins) throw new Error('loss margin_mse needs teacher scores: map data.columns.positive_score and negative_scores');
    return marginMseLoss(q, p, negs, batch.teacherMargins);
  }
  return mnrlLoss(q, tf.concat([p, ...negs], 0) as tf.Tensor2D, loss);
}

export function lossAndGradients(model: SentenceModel, loss: LossConfig, batch: LossBatch, stepSeed?: number): { loss: number; grads: Map<string, tf.Tensor> } {
  if (loss.name === 'cached_mnrl') return cachedMnrlGradients(model, batch, { ...loss, miniBatchSize: loss.mini_batch_size }, stepSeed);
  const vars = [...model.params.values()];
  const { value, grads } = tf.variableGrads(() => tf.tidy(() => batchLoss(model, loss, batch, stepSeed)), vars);
  const byVarName = new Map([...model.params].map(([n, v]) => [v.name, n]));
  const out = new Map(Object.entries(grads).map(([k, g]) => [byVarName.get(k)!, g]));
  const lossValue = value.dataSync()[0];
  value.dispose();
  return { loss: lossValue, grads: out };
}
