// What the training data stream reads from a recipe besides its data section: the loss, batch
// size, seed, the epochs (none when max_steps bounds the run), where skipped records are logged and
// which tokenizer, so data/ takes the data config and these scalars, not the whole recipe.
import path from 'node:path';
import type { StreamRun } from '../data/stream.js';
import { describeModelFolder } from '../model/folder.js';
import type { Recipe } from './recipe.js';

export interface StreamRunOptions {
  /** Where skipped records are logged: default output_dir/rejected.jsonl; null: nowhere (they are still counted). */
  rejects?: string | null;
  /** The tokenizer's folder and max length (default: the recipe's model); a resumed run uses its checkpoint's. */
  tokenizer?: { dir: string; maxSeqLength: number };
}

export function streamRun(recipe: Recipe, opts: StreamRunOptions = {}): StreamRun {
  const { model, train } = recipe;
  return {
    loss: recipe.loss.name,
    batchSize: train.batch_size,
    seed: train.seed,
    epochs: train.max_steps !== null ? null : train.epochs,
    rejects: opts.rejects === undefined ? path.join(train.output_dir, 'rejected.jsonl') : opts.rejects,
    // Read only to tokenize: counting steps needs no model (and model.path may be a Hub id).
    tokenizer: () => opts.tokenizer ?? { dir: model.path, maxSeqLength: model.max_seq_length ?? describeModelFolder(model.path).maxSeqLength },
  };
}
