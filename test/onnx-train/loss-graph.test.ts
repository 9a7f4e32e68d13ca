// The loss graph (loss-graph.ts), run in onnxruntime by embeddingLossAndGradients, against the
// same losses written here in tfjs ops (a second implementation, test-only: src writes each loss
// once, as this graph) differentiated by tf.valueAndGrads on the tfjs cpu backend:
// loss within 1e-5 relative, each gradient row within 1e-5 of that row's largest entry. Then the
// graph's gradients against central finite differences of its own loss (float64 on the host).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tfjs/backend.js';
import { embeddingLossAndGradients } from '../../src/graphs/training/embedding-loss.js';
import { buildLossGraph } from '../../src/graphs/training/loss-graph.js';
import type { LossConfig } from '../../src/losses/batch.js';

/** Row-wise L2 normalisation (torch.nn.functional.normalize, eps 1e-12). */
function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.maximum(tf.norm(x, 2, 1, true), 1e-12));
}

/** Mean cross-entropy of logits [B, C] with target column i for row i. */
function diagonalCrossEntropy(logits: tf.Tensor2D): tf.Scalar {
  const targets = tf.eye(logits.shape[0], logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/** sentence-transformers' MultipleNegatives(Symmetric)RankingLoss: queries [B, H], candidates [(1+k)B, H]. */
function mnrlLoss(queries: tf.Tensor2D, candidates: tf.Tensor2D, opts: { scale: number; symmetric: boolean }): tf.Scalar {
  const B = queries.shape[0];
  const scores = tf.mul(tf.matMul(normalizeRows(queries), tf.transpose(normalizeRows(candidates))), opts.scale) as tf.Tensor2D;
  const forward = diagonalCrossEntropy(scores);
  if (!opts.symmetric) return forward;
  const backward = diagonalCrossEntropy(tf.transpose(tf.slice(scores, [0, 0], [B, B])) as tf.Tensor2D);
  return tf.div(tf.add(forward, backward), 2) as tf.Scalar;
}

/** sentence-transformers' MarginMSELoss: mean of ((q·p − q·n_j) − margin_j)², margins [B, k]. */
function marginMseLoss(queries: tf.Tensor2D, positives: tf.Tensor2D, negatives: tf.Tensor2D[], margins: Float32Array): tf.Scalar {
  const B = queries.shape[0], k = negatives.length;
  const pos = tf.sum(tf.mul(queries, positives), 1, true);
  const neg = tf.concat(negatives.map((n) => tf.sum(tf.mul(queries, n), 1, true)), 1);
  return tf.mean(tf.squaredDifference(tf.sub(pos, neg), tf.tensor2d(margins, [B, k]))) as tf.Scalar;
}

beforeAll(async () => {
  await initBackend('cpu');
});

/** A seeded uniform generator in [-1, 1), so failures reproduce. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

const H = 16;
const config = (name: LossConfig['name'], symmetric = false): LossConfig => ({ name, scale: 20, symmetric, mini_batch_size: 2 });

interface Case {
  name: string;
  cfg: LossConfig;
  rows: number;
  negatives: number;
  /** [column, row] pairs set to zeros: the normalisation's eps path. */
  zeroRows?: [number, number][];
}

const isZeroRow = (c: Case, col: number, i: number) => c.zeroRows?.some(([zc, zr]) => zc === col && zr === Math.floor(i / H)) ?? false;

/** Random embeddings per column (and teacher margins), with the case's zero rows. */
function inputs(c: Case, seed: number): { columns: Float32Array[]; margins: Float32Array } {
  const rand = rng(seed);
  const columns = Array.from({ length: 2 + c.negatives }, (_, col) => Float32Array.from({ length: c.rows * H }, (_, i) => (isZeroRow(c, col, i) ? 0 : rand())));
  return { columns, margins: Float32Array.from({ length: c.rows * c.negatives }, () => 2 * rand()) };
}

/** The tfjs loss and its gradients per column. */
function reference(cfg: LossConfig, columns: Float32Array[], margins: Float32Array): { loss: number; grads: Float32Array[] } {
  const xs = columns.map((c) => tf.tensor2d(c, [c.length / H, H]));
  const lossOf = (...cols: tf.Tensor[]) => {
    const [q, p, ...negs] = cols as tf.Tensor2D[];
    return cfg.name === 'margin_mse'
      ? marginMseLoss(q, p, negs, margins)
      : mnrlLoss(q, tf.concat([p, ...negs], 0) as tf.Tensor2D, { scale: cfg.scale, symmetric: cfg.symmetric });
  };
  const { value, grads } = tf.valueAndGrads(lossOf)(xs);
  const out = { loss: value.dataSync()[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
  tf.dispose([value, ...grads, ...xs]);
  return out;
}

const cases: Case[] = [
  { name: 'mnrl, no negatives', cfg: config('mnrl'), rows: 5, negatives: 0 },
  { name: 'mnrl, 1 negative', cfg: config('mnrl'), rows: 4, negatives: 1 },
  { name: 'mnrl, 3 negatives, zero query and negative rows', cfg: config('mnrl'), rows: 3, negatives: 3, zeroRows: [[0, 1], [4, 2]] },
  { name: 'mnrl, 1 row', cfg: config('mnrl'), rows: 1, negatives: 1 },
  { name: 'cached_mnrl (the mnrl graph)', cfg: config('cached_mnrl'), rows: 4, negatives: 1 },
  { name: 'symmetric mnrl, 1 negative', cfg: config('mnrl', true), rows: 4, negatives: 1 },
  { name: 'symmetric mnrl, 3 negatives, zero positive row', cfg: config('mnrl', true), rows: 3, negatives: 3, zeroRows: [[1, 0]] },
  { name: 'margin_mse, 1 negative', cfg: config('margin_mse'), rows: 4, negatives: 1 },
  { name: 'margin_mse, 3 negatives, zero query row', cfg: config('margin_mse'), rows: 3, negatives: 3, zeroRows: [[0, 2]] },
  { name: 'margin_mse, 1 row', cfg: config('margin_mse'), rows: 1, negatives: 3 },
];

describe('loss graph vs the tfjs losses', () => {
  cases.forEach((c, n) => {
    it(c.name, async () => {
      const { columns, margins } = inputs(c, 1000 + n);
      const got = await embeddingLossAndGradients(c.cfg, { hidden: H, columns }, margins);
      // tfjs's norm gradient at exactly 0 is 0·∞ = NaN (PyTorch's is 0). Within eps = 1e-12 of the
      // origin the normalisation is x / eps, so the reference takes zero rows as rows of 1e-22
      // (squares still non-zero float32 subnormals): its gradients there move by ~1e-6 relative
      // (linear in the nudge; 3e-5 at 1e-20, measured against a float64 evaluation).
      const normalises = c.cfg.name !== 'margin_mse';
      const ref = reference(c.cfg, normalises ? columns.map((x, col) => x.map((v, i) => (isZeroRow(c, col, i) ? 1e-22 : v))) : columns, margins);
      expect(Math.abs(got.loss - ref.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(ref.loss));
      // Relative L2 error per column, zero rows (gradients ~1/eps) apart from the others.
      got.grads.forEach((g, col) => {
        for (const zero of [false, true]) {
          let err = 0, norm = 0;
          g.forEach((v, i) => {
            if (isZeroRow(c, col, i) !== zero) return;
            err += (v - ref.grads[col][i]) ** 2;
            norm += ref.grads[col][i] ** 2;
          });
          expect(Math.sqrt(err), `column ${col}${zero ? ', zero rows' : ''}`).toBeLessThanOrEqual(1e-5 * Math.sqrt(norm));
        }
      });
    });
  });
});

describe('symmetric mnrl with 1 row', () => {
  // The positive → query direction has one candidate, so its log-softmax is 0: half of mnrl. (The
  // tfjs loss cannot take this batch: its one-hot needs depth >= 2.)
  it('is half of plain mnrl, loss and gradients', async () => {
    const { columns } = inputs({ name: '', cfg: config('mnrl'), rows: 1, negatives: 1 }, 3000);
    const got = await embeddingLossAndGradients(config('mnrl', true), { hidden: H, columns });
    const ref = reference(config('mnrl'), columns, new Float32Array(0));
    expect(Math.abs(got.loss - ref.loss / 2)).toBeLessThanOrEqual(1e-5 * ref.loss);
    got.grads.forEach((g, col) => g.forEach((v, i) => expect(Math.abs(v - ref.grads[col][i] / 2)).toBeLessThanOrEqual(1e-5 * Math.max(...ref.grads[col].map(Math.abs)))));
  });
});

describe('loss graph vs finite differences', () => {
  // Central differences of the float32 loss, in float64: step h = 1e-3 in the unit-scale rows,
  // 1e-15 in a zero row (inside the eps = 1e-12 ball where the normalisation is x / eps, the region
  // whose gradient the graph gives); within 2e-3 · (1 + |numeric|) as in vjp.test.ts.
  const fdCases: Case[] = [
    { name: 'symmetric mnrl, zero query row', cfg: config('mnrl', true), rows: 3, negatives: 2, zeroRows: [[0, 1]] },
    { name: 'margin_mse', cfg: config('margin_mse'), rows: 3, negatives: 2 },
  ];
  fdCases.forEach((c, n) => {
    it(c.name, async () => {
      const { columns, margins } = inputs(c, 2000 + n);
      const lossAt = async (cols: Float32Array[]) => (await embeddingLossAndGradients(c.cfg, { hidden: H, columns: cols }, margins)).loss;
      const { grads } = await embeddingLossAndGradients(c.cfg, { hidden: H, columns }, margins);
      for (let col = 0; col < columns.length; col++) {
        for (let i = 0; i < columns[col].length; i++) {
          const zero = isZeroRow(c, col, i);
          const h = zero ? 1e-15 : 1e-3;
          const step = (d: number) => columns.map((x, j) => (j === col ? x.map((v, t) => (t === i ? v + d : v)) : x));
          const numeric = ((await lossAt(step(h))) - (await lossAt(step(-h)))) / (2 * h);
          const unit = zero ? 1e12 : 1; // a zero row's gradients are 1/eps times larger
          expect(Math.abs(grads[col][i] - numeric), `column ${col} [${i}]: ${grads[col][i]} vs ${numeric}`).toBeLessThanOrEqual(2e-3 * (unit + Math.abs(numeric)));
        }
      }
    });
  });
});

describe('loss graph errors', () => {
  it('margin_mse without margins, or with the wrong number of them, is an error', async () => {
    const columns = [new Float32Array(2 * H), new Float32Array(2 * H), new Float32Array(2 * H)];
    await expect(embeddingLossAndGradients(config('margin_mse'), { hidden: H, columns })).rejects.toThrow(/margin_mse: the batch has no teacher margins/);
    await expect(embeddingLossAndGradients(config('margin_mse'), { hidden: H, columns }, new Float32Array(3))).rejects.toThrow(/3 teacher margins for 2 queries × 1 negatives/);
  });

  it('margin_mse with no negative column is an error', () => {
    expect(() => buildLossGraph(config('margin_mse'), 0, H)).toThrow(/margin_mse needs at least one negative/);
  });
});
