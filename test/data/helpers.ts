// Shared pieces of the data tests: fixture paths, temp folders, recipes and stream collection.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { openTrainingStream, type StreamOptions, type TrainingStream } from '../../src/data/stream.js';
import type { TrainingBatch, TripleBatch, Triple } from '../../src/data/triple.js';
import { loadRecipe, type Recipe } from '../../src/train/recipe.js';
import { streamRun, type StreamRunOptions } from '../../src/train/stream-run.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/data/', import.meta.url));
export const HARD_NEGATIVES = path.join(FIXTURES, 'hard-negatives.jsonl');
export const MODEL = fileURLToPath(new URL('../fixtures/tiny-bert', import.meta.url));

/** The fixture's records as parsed by JSON.parse, the reference for the readers. */
export function fixtureRecords(): Record<string, any>[] {
  return fs.readFileSync(HARD_NEGATIVES, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** A temp folder removed when the test ends. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-data-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A recipe through the real loader (defaults included), written as JSON into `dir`. */
export function recipeWith(dir: string, data: Record<string, unknown>, train: Record<string, unknown> = {}, loss = 'mnrl'): Recipe {
  const file = path.join(dir, `recipe-${Math.random().toString(36).slice(2)}.json`);
  const recipe = {
    model: { path: MODEL },
    data: { train: [HARD_NEGATIVES], preset: 'hard_negatives', ...data },
    loss: { name: loss },
    train: { batch_size: 4, output_dir: path.join(dir, 'out'), ...train },
  };
  fs.writeFileSync(file, JSON.stringify(recipe));
  return loadRecipe(file);
}

export async function collect<B extends { triples: Triple[] }>(stream: TrainingStream<B>, limit = Infinity): Promise<B[]> {
  const out: B[] = [];
  try {
    while (out.length < limit) {
      const b = await stream.next();
      if (!b) break;
      out.push(b);
    }
  } finally {
    await stream.close();
  }
  return out;
}

/** A batch as comparable plain data. */
export function texts(b: { triples: Triple[] }): string[][] {
  return b.triples.map((t) => [t.query, t.positive, ...t.negatives]);
}

/** A recipe's training stream, as the trainer opens it (its data section and streamRun's scalars). */
export function openStream(recipe: Recipe, opts: StreamOptions & StreamRunOptions & { tokenize: false }): TrainingStream<TripleBatch>;
export function openStream(recipe: Recipe, opts?: StreamOptions & StreamRunOptions & { tokenize?: true }): TrainingStream<TrainingBatch>;
export function openStream(recipe: Recipe, opts: StreamOptions & StreamRunOptions = {}): TrainingStream<TripleBatch | TrainingBatch> {
  const { rejects, tokenizer, ...streamOpts } = opts;
  return openTrainingStream(recipe.data, streamRun(recipe, { rejects, tokenizer }), streamOpts as StreamOptions & { tokenize: false });
}
