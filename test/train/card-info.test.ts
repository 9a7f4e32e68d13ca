// What training tells the model card: the loss's own parameters only, the data counts at the saved
// step, and on resume the last evaluation found in metrics.jsonl.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lastEvalFromMetrics, trainingCardInfo } from '../../src/train/card-info.js';
import type { TrainerState } from '../../src/train/checkpoint.js';
import { loadRecipe } from '../../src/train/recipe.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-cardinfo-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function recipe(loss: string) {
  const file = path.join(tmp, `${loss}.yaml`);
  fs.writeFileSync(file, `model: {path: org/base}\ndata: {train: [x.jsonl]}\nloss: {name: ${loss}}\ntrain: {output_dir: ${tmp}/run, warmup_ratio: 0.1}\neval: {data: ${tmp}/beir}\n`);
  return loadRecipe(file);
}

describe('trainingCardInfo', () => {
  const state: TrainerState = {
    step: 7, epoch: 1, total_steps: 10,
    data_state: { files: ['/abs/x.jsonl'], stats: { records: 70, skipped: 2, languages: { en: 50, fr: 20 } } },
  };

  it('takes counts and files from the data state, and only the parameters the loss reads', () => {
    const info = trainingCardInfo(recipe('cached_mnrl'), state, 'densetrain: engine onnx', { step: 5, metrics: { 'ndcg@10': 0.3 } });
    expect(info.training!.data).toEqual({ files: ['/abs/x.jsonl'], records: 70, skipped: 2, languages: { en: 50, fr: 20 } });
    expect(info.training!.loss).toEqual({ name: 'cached_mnrl', params: { scale: 20, symmetric: false, mini_batch_size: 32 } });
    expect(info.training!.hyperparameters).toMatchObject({ warmup_ratio: 0.1, lr: 2e-5 });
    expect(info.training!.hyperparameters).not.toHaveProperty('warmup_steps');
    expect(info.training).toMatchObject({ baseModel: 'org/base', steps: 7, totalSteps: 10, epoch: 1 });
    expect(info.evaluation).toEqual({ data: `${tmp}/beir`, split: 'test', step: 5, metrics: { 'ndcg@10': 0.3 } });
    expect(trainingCardInfo(recipe('mnrl'), state, '').training!.loss.params).toEqual({ scale: 20, symmetric: false });
    expect(trainingCardInfo(recipe('margin_mse'), state, '').training!.loss.params).toEqual({});
  });
});

describe('lastEvalFromMetrics', () => {
  it('finds the last row with eval_ columns, or none', () => {
    const file = path.join(tmp, 'metrics.jsonl');
    expect(lastEvalFromMetrics(file)).toBeUndefined();
    const rows = [{ step: 1, loss: 1 }, { step: 2, loss: 0.9, 'eval_ndcg@10': 0.4, 'eval_mrr@10': 0.5 }, { step: 3, loss: 0.8 }];
    fs.writeFileSync(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
    expect(lastEvalFromMetrics(file)).toEqual({ step: 2, metrics: { 'ndcg@10': 0.4, 'mrr@10': 0.5 } });
    fs.writeFileSync(file, JSON.stringify(rows[0]) + '\n');
    expect(lastEvalFromMetrics(file)).toBeUndefined();
  });
});
