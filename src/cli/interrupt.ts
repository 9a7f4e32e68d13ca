// Ctrl-C: one line on stderr saying what the interrupted command leaves behind, then exit 130
// through process.exit, so that 'exit' handlers (lock files, temporary outputs) still run.
import { listCheckpoints } from '../train/checkpoint.js';

let note: (() => string) | undefined;

/** What the running command adds to the interrupt line (train: where to resume from). */
export function setInterruptNote(fn: (() => string) | undefined): void {
  note = fn;
}

/** The line printed on SIGINT for `command`. */
export function interruptLine(command: string | undefined): string {
  let extra = '';
  try {
    extra = note ? `; ${note()}` : '';
  } catch {
    // the note reads the disk; a failure there must not hide the interrupt itself
  }
  return `densetrain${command ? ` ${command}` : ''}: interrupted${extra}`;
}

/** For train: the last complete checkpoint in `outputDir`, and how to continue from it. */
export function trainInterruptNote(outputDir: string): string {
  const last = listCheckpoints(outputDir).at(-1);
  if (!last) return `no checkpoint was written yet in ${outputDir}, so a new run starts from the beginning`;
  return `the last checkpoint is ${last.dir} (step ${last.step}); run the same command with --train.resume latest to continue from it`;
}

let current: (() => void) | undefined;

/** Install the SIGINT handler for a CLI run of `command` (replacing an earlier run's). */
export function exitOnInterrupt(command: string | undefined): void {
  if (current) process.off('SIGINT', current);
  current = () => {
    process.stderr.write(interruptLine(command) + '\n');
    process.exit(130);
  };
  process.once('SIGINT', current);
}
