// The recipe options that decide a run's data order and loss, stored in every checkpoint and
// compared key by key on resume: a resumed run must read the same data the same way and train on
// the same loss, or its checkpointed data position means nothing. Keys a resume may change
// (max_steps, save_every, eval, lr schedule, engine, ...) are not among them.
import { listSources } from '../data/sources.js';
import { fileListChange } from '../data/stream.js';
import type { Recipe } from './recipe.js';

export type RunOptions = Record<string, unknown>;

/**
 * Data keys that change neither which batches come nor their order: speed, and whether a bad
 * record stops the run (`train` is compared as the resolved file list).
 */
const FREE_DATA_KEYS = new Set(['train', 'tokenize_workers', 'prefetch', 'on_bad_record']);

export function runOptions(recipe: Recipe, maxSeqLength: number): RunOptions {
  const out: RunOptions = { 'data.files': listSources(recipe.data.train).map((s) => s.path) };
  for (const [k, v] of Object.entries(recipe.data)) {
    if (FREE_DATA_KEYS.has(k)) continue;
    if (k === 'columns') for (const [c, cv] of Object.entries(v as object)) out[`data.columns.${c}`] = cv;
    else out[`data.${k}`] = v;
  }
  // gather_across_devices only when on: checkpoints from before it existed resume as before.
  for (const [k, v] of Object.entries(recipe.loss)) if (k !== 'gather_across_devices' || v) out[`loss.${k}`] = v;
  out['train.batch_size'] = recipe.train.batch_size;
  out['train.seed'] = recipe.train.seed;
  out['train.gradient_accumulation_steps'] = recipe.train.gradient_accumulation_steps;
  out['model.max_seq_length'] = maxSeqLength;
  return out;
}

const show = (v: unknown): string => (v === undefined ? 'unset' : JSON.stringify(v));

/** Throws at the first key whose value differs from the checkpoint's run, naming both values. */
export function checkRunOptions(from: string, then: RunOptions, now: RunOptions): void {
  const fix = 'a resumed run reads the same data the same way; start a fresh run in another train.output_dir to change it';
  for (const key of new Set([...Object.keys(then), ...Object.keys(now)])) {
    if (key === 'data.files') {
      const problem = fileListChange((then[key] as string[]) ?? [], (now[key] as string[]) ?? []);
      if (problem) throw new Error(`cannot resume from ${from}: data.train ${problem} (${fix})`);
      continue;
    }
    if (JSON.stringify(then[key]) === JSON.stringify(now[key])) continue;
    throw new Error(`cannot resume from ${from}: ${key} is ${show(now[key])} now but was ${show(then[key])} in the checkpoint's run (${fix})`);
  }
}
