// What a training run owns in its output folder, and the check before a run starts there: a
// fresh run does not start over another run's files (unless told to replace them, and then only
// those are removed), and `resume: latest` needs a checkpoint to resume from.
import fs from 'node:fs';
import path from 'node:path';
import { listCheckpoints } from './checkpoint.js';

/** Entries a run writes into output_dir; nothing else there is the run's to remove. */
export const RUN_ENTRIES = ['metrics.jsonl', 'checkpoints', 'final', 'report.html', 'eval_baseline.json', 'rejected.jsonl', 'runs'];
/** The run record of each launch (run-record.ts): `recipe.resolved[.resume-step-N].yaml`, `environment[...].json`. */
const RUN_RECORD = /^(recipe\.resolved(\.resume-step-\d+)?\.yaml|environment(\.resume-step-\d+)?\.json)$/;

function present(dir: string, names: string[]): string[] {
  const records = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => RUN_RECORD.test(n)).sort() : [];
  return [...names.filter((n) => fs.existsSync(path.join(dir, n))), ...records];
}

/** What shows that a run trained in `dir` (a launch that failed before its first step leaves none). */
export function trainedRunEntries(dir: string): string[] {
  return present(dir, ['metrics.jsonl', 'checkpoints', 'final']);
}

/**
 * Before a fresh run (`resume` unset): an error if another run is in the folder, unless
 * `overwrite`, which removes that run's entries (only those). Before `resume: latest`: an error if
 * there is no checkpoint.
 */
export function prepareOutputDir(dir: string, resume: string | null, overwrite: boolean): void {
  if (resume === 'latest') {
    if (listCheckpoints(dir).length > 0) return;
    throw new Error(
      `train.resume latest: ${dir} has no checkpoint to resume from (no checkpoints/step-N with trainer_state.json); ` +
        'drop --train.resume to start a fresh run',
    );
  }
  if (resume !== null) return; // resuming a named checkpoint continues the run in this folder
  // A run is there when it trained: a launch that failed before its first step left at most its
  // run record, which the new launch's record replaces.
  if (trainedRunEntries(dir).length === 0) return;
  if (!overwrite) {
    const found = RUN_ENTRIES.filter((n) => fs.existsSync(path.join(dir, n)));
    const ckpts = listCheckpoints(dir);
    const what = found.map((n) => (n === 'checkpoints' && ckpts.length > 0 ? `checkpoints/ (last: step-${ckpts.at(-1)!.step})` : n.includes('.') ? n : `${n}/`));
    throw new Error(
      `${dir} already holds a training run (${what.join(', ')}). ` +
        'Continue it with --train.resume latest, replace it with --overwrite_output_dir, or choose another train.output_dir',
    );
  }
  for (const n of present(dir, RUN_ENTRIES)) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
}
