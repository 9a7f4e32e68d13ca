// What a model card says about training, from the run itself: the recipe (model, loss,
// hyperparameters), the data pipeline's counts at the saved step (files, records, languages), the
// engine's first line, and the latest evaluation.
import fs from 'node:fs';
import type { PipelineState } from '../data/stream.js';
import type { ModelCardInfo } from '../model/model-card.js';
import type { TrainerState } from './checkpoint.js';
import type { Recipe } from './recipe.js';

export interface LastEval {
  step: number;
  metrics: Record<string, number>;
}

/** The last evaluation in metrics.jsonl (its `eval_*` columns), so a resumed run's cards keep it until the next one. */
export function lastEvalFromMetrics(file: string): LastEval | undefined {
  if (!fs.existsSync(file)) return undefined;
  const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);
  for (const row of rows.reverse()) {
    const metrics = Object.entries(row).filter(([k]) => k.startsWith('eval_'));
    if (metrics.length > 0) return { step: row.step, metrics: Object.fromEntries(metrics.map(([k, v]) => [k.slice(5), v])) };
  }
  return undefined;
}

export function trainingCardInfo(recipe: Recipe, state: TrainerState, engineDescription: string, lastEval?: LastEval): ModelCardInfo {
  const t = recipe.train;
  const data = state.data_state as PipelineState | undefined;
  const { name, scale, symmetric, mini_batch_size } = recipe.loss;
  // Only the parameters the chosen loss reads.
  const lossParams = name === 'margin_mse' ? {} : name === 'cached_mnrl' ? { scale, symmetric, mini_batch_size } : { scale, symmetric };
  const hyperparameters: Record<string, unknown> = {
    batch_size: t.batch_size,
    gradient_accumulation_steps: t.gradient_accumulation_steps,
    lr: t.lr,
    weight_decay: t.weight_decay,
    schedule: t.schedule,
    ...(t.warmup_ratio !== undefined ? { warmup_ratio: t.warmup_ratio } : { warmup_steps: t.warmup_steps }),
    max_grad_norm: t.max_grad_norm,
    max_seq_length: recipe.model.max_seq_length ?? null,
    seed: t.seed,
    num_negatives: recipe.data.num_negatives,
    negative_sampling: recipe.data.negative_sampling,
    batching: recipe.data.batching,
  };
  return {
    training: {
      baseModel: recipe.model.path,
      loss: { name, params: lossParams },
      hyperparameters,
      data: {
        files: data?.files ?? recipe.data.train,
        records: data?.stats.records ?? 0,
        skipped: data?.stats.skipped ?? 0,
        languages: data?.stats.languages ?? {},
      },
      steps: state.step,
      totalSteps: state.total_steps,
      epoch: state.epoch,
      engine: engineDescription,
    },
    evaluation: recipe.eval && lastEval ? { data: recipe.eval.data, split: recipe.eval.split, step: lastEval.step, metrics: lastEval.metrics } : undefined,
  };
}
