/**
 * CachedMultipleNegativesRankingLoss: MNRL with GradCache (Gao et al. 2021, "Scaling Deep
 * Contrastive Learning Batch Size under Memory Limited Setup"), as sentence-transformers'
 * `CachedMultipleNegativesRankingLoss`. Same loss and gradients as `mnrl`; activation memory is
 * bounded by `mini_batch_size` rows instead of the whole batch.
 *
 *   1. embed every column mini-batch by mini-batch, without keeping activations  -> E
 *   2. loss L(E) and its gradient dL/dE (cheap: only [rows, H] tensors)
 *   3. per mini-batch again, with activations: accumulate dθ += ∂(Σ E_mb ⊙ dL/dE_mb)/∂θ
 * Step 3 is exact by the chain rule: dL/dθ = Σ_rows (dL/dE_row)·(∂E_row/∂θ).
 */
import * as tf from '@tensorflow/tfjs';
import type { SentenceModel } from '../model/model.js';
import type { TokenBatch } from '../model/tokenizer.js';
import { columnDropout, type LossBatch, sliceRows } from './batch.js';
import { mnrlLoss, type MnrlOptions } from './mnrl.js';
import type { Dropout } from '../model/encoder.js';

function miniBatches(b: TokenBatch, size: number): TokenBatch[] {
  const out: TokenBatch[] = [];
  for (let s = 0; s < b.batchSize; s += size) out.push(sliceRows(b, s, Math.min(b.batchSize, s + size)));
  return out;
}

/** Step 1: embeddings of a whole column, [rows, H], built without a gradient tape. */
function embedNoGrad(model: SentenceModel, b: TokenBatch, size: number, dropout: (firstRow: number) => Dropout | undefined): tf.Tensor2D {
  const parts = miniBatches(b, size).map((mb, i) => model.embed(mb, dropout(i * size)));
  const out = tf.concat(parts, 0) as tf.Tensor2D;
  parts.forEach((p) => p.dispose());
  return out;
}

/** `stepSeed` turns on dropout; both passes over a mini-batch draw its rows of the column's masks (ST's RandContext), so the result equals mnrl's. */
export function cachedMnrlGradients(model: SentenceModel, batch: LossBatch, opts: MnrlOptions & { miniBatchSize: number }, stepSeed?: number): { loss: number; grads: Map<string, tf.Tensor> } {
  const columns = [batch.query, batch.positive, ...batch.negatives];
  const reps = columns.map((c, ci) => embedNoGrad(model, c, opts.miniBatchSize, (firstRow) => columnDropout(stepSeed, ci, firstRow)));

  // Step 2: loss and dL/dE for every column.
  const [q, ...cands] = reps;
  const candidates = tf.concat(cands, 0) as tf.Tensor2D;
  const { value, grads: repGrads } = tf.valueAndGrads((qq: tf.Tensor, cc: tf.Tensor) => mnrlLoss(qq as tf.Tensor2D, cc as tf.Tensor2D, opts))([q, candidates]);
  const B = batch.query.batchSize;
  const dCols = [repGrads[0], ...cands.map((_, i) => tf.slice(repGrads[1], [i * B, 0], [B, -1]))];
  const loss = value.dataSync()[0];
  [value, candidates, ...reps, repGrads[1]].forEach((t) => t.dispose()); // repGrads[0] lives on as dCols[0]

  // Step 3: re-embed with gradients, mini-batch by mini-batch, and accumulate.
  const vars = [...model.params.values()];
  const byVarName = new Map([...model.params].map(([n, v]) => [v.name, n]));
  const acc = new Map<string, tf.Tensor>();
  columns.forEach((col, ci) => {
    let start = 0;
    miniBatches(col, opts.miniBatchSize).forEach((mb) => {
      const d = tf.slice(dCols[ci], [start, 0], [mb.batchSize, -1]);
      const { value: v, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.embed(mb, columnDropout(stepSeed, ci, start)), d)) as tf.Scalar, vars);
      v.dispose();
      d.dispose();
      for (const [varName, g] of Object.entries(grads)) {
        const name = byVarName.get(varName)!;
        const prev = acc.get(name);
        if (prev) {
          acc.set(name, tf.add(prev, g));
          prev.dispose();
          g.dispose();
        } else acc.set(name, g);
      }
      start += mb.batchSize;
    });
  });
  dCols.forEach((t) => t.dispose());
  return { loss, grads: acc };
}
