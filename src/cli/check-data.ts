// `densetrain check-data`: one pass of the recipe's training data through the whole input
// pipeline (read, validate, sample negatives, batch, tokenize) without training. It writes nothing:
// skipped records are counted, not logged, so a run's rejected.jsonl in output_dir stays as it is.
import { openTrainingStream } from '../data/stream.js';
import { resolveModel } from '../model/hub.js';
import type { Recipe } from '../train/recipe.js';
import { streamRun } from '../train/stream-run.js';

export interface CheckDataSummary {
  records: number;
  skipped: number;
  batches: number;
  languages: Record<string, number>;
  triples_per_s: number;
}

export async function checkData(recipe: Recipe): Promise<CheckDataSummary> {
  // one epoch, whatever the recipe trains for
  const once: Recipe = { ...recipe, model: { ...recipe.model, path: await resolveModel(recipe.model.path) }, train: { ...recipe.train, epochs: 1, max_steps: null } };
  const stream = openTrainingStream(once.data, streamRun(once, { rejects: null }));
  const started = performance.now();
  let batches = 0;
  let triples = 0;
  try {
    for (let b = await stream.next(); b; b = await stream.next()) {
      batches++;
      triples += b.triples.length;
    }
  } finally {
    await stream.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const { records, skipped, languages } = stream.stats();
  if (batches === 0) {
    throw new Error(`data.train yields no batch: ${records} good records, ${skipped} skipped${skipped > 0 ? ' (on_bad_record: skip; set it to error to see why the first one is bad)' : ''}`);
  }
  return { records, skipped, batches, languages, triples_per_s: Math.round(triples / Math.max(seconds, 1e-9)) };
}
