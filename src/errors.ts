// What a failure says to the user. Errors the code throws on purpose (bad input, a missing file,
// a wrong key) are plain `Error`s or Node's system errors, and their message is the whole story;
// JavaScript's own error types (TypeError, ReferenceError, RangeError, ...) mean densetrain itself
// went wrong, so they are reported as a bug, with the stack trace on request. Also the
// did-you-mean that unknown keys and flags get.

const BUG_TYPES = [TypeError, ReferenceError, RangeError, SyntaxError, EvalError, URIError];

/** True when `err` is a fault in densetrain rather than in what the user gave it. */
export function isBug(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (BUG_TYPES.some((T) => err instanceof T)) return true;
  return err.name === 'AssertionError';
}

export interface ErrorReport {
  /** The command that failed (`train`, `embed`, ...), or undefined before one was named. */
  command?: string;
  /** Print the stack trace (the `--debug` flag or DENSETRAIN_DEBUG=1). */
  debug: boolean;
}

/** The text printed on stderr for a failed command: one line (a user error's message may carry
 * its own detail lines), plus the stack trace in debug mode. */
export function formatError(err: unknown, r: ErrorReport): string {
  const message = err instanceof Error ? err.message : String(err);
  const stack = r.debug && err instanceof Error && err.stack ? `\n${err.stack}` : '';
  if (!isBug(err)) return `densetrain: ${message}${stack}`;
  const where = r.command ? `densetrain ${r.command}` : 'densetrain';
  const name = (err as Error).name;
  const hint = r.debug ? '' : ' (run again with --debug or DENSETRAIN_DEBUG=1 for the stack trace)';
  return `densetrain: internal error, a bug in densetrain (please report it): \`${where}\` failed with ${name}: ${firstLine(message)}${hint}${stack}`;
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0];
}

/** The candidate closest to `word` (hyphens read as underscores; a bare last segment matches its
 * dotted key), or undefined when none is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase().replace(/-/g, '_');
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    const last = cl.split('.').at(-1)!;
    const score = Math.min(editDistance(w, cl), w.includes('.') ? Infinity : editDistance(w, last));
    if (score < bestScore) [best, bestScore] = [c, score];
  }
  const allowed = w.length <= 3 ? 1 : Math.max(2, Math.floor(w.length / 4));
  return bestScore <= allowed ? best : undefined;
}

/** Levenshtein distance (small strings: flag and key names). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
