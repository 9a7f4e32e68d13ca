// The run's length when it is given in epochs: a pass over the data without tokenizing that
// counts the batches, with a progress line every few seconds so a long count is not silent.
import { openTrainingStream } from '../data/stream.js';
import type { Recipe } from './recipe.js';
import { streamRun } from './stream-run.js';

/** Optimizer steps in `recipe.train.epochs` epochs; an error when the data yields no batch. */
/** `ranks`: MPI ranks, each taking one batch of every N (an optimizer step uses ranks x accumulation batches). */
export async function countTotalSteps(recipe: Recipe, log: (line: string) => void, everyMs = 5000, ranks = 1): Promise<number> {
  if (recipe.train.max_steps) return recipe.train.max_steps;
  log(`counting the batches of ${recipe.train.epochs} epoch(s) for the learning-rate schedule (set train.max_steps to skip this pass)`);
  const stream = openTrainingStream(recipe.data, streamRun(recipe), { tokenize: false });
  let batches = 0;
  let last = performance.now();
  try {
    while (await stream.next()) {
      batches++;
      if (performance.now() - last >= everyMs) {
        last = performance.now();
        const s = stream.stats();
        log(`counting batches: ${s.records + s.skipped} records read, ${batches} batches so far`);
      }
    }
  } finally {
    await stream.close();
  }
  if (batches === 0) {
    const { records, skipped } = stream.stats();
    const where = skipped > 0 ? `; the skipped records are in ${recipe.train.output_dir}/rejected.jsonl` : '';
    throw new Error(`data.train yields no batch in ${recipe.train.epochs} epoch(s): ${records} good records read, ${skipped} skipped${where}; nothing was trained`);
  }
  return Math.ceil(batches / (recipe.train.gradient_accumulation_steps * ranks));
}
