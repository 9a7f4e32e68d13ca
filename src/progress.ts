// Progress of a long pass. On a terminal, a one-line bar redrawn in place; lines printed while it
// shows (an evaluation's results) go above it: the bar is cleared, the line printed, the bar drawn
// again. Anywhere else (a pipe, a CI log, a library caller's `log`), a line with the ETA every
// `everyS` seconds and one at the end (none for a pass shorter than that), so a log shows how far
// a run got without a line per step.
export interface Progress {
  update(done: number, total: number, extra?: string): void;
  /** A line above the bar (or just a line, without a bar). */
  print(line: string): void;
  /** Clears the bar; prints `message` if given. */
  done(message?: string): void;
}

export interface ProgressOptions {
  /** Where lines go (default: console.log). */
  log?: (line: string) => void;
  /** The terminal to draw the bar on (default: stderr); no bar when it is not a TTY, or when null. */
  stream?: NodeJS.WriteStream | null;
  /** Seconds between lines when there is no bar (default 10). */
  everyS?: number;
  /** Milliseconds since some origin (tests pass a fake clock). */
  now?: () => number;
}

const BAR_WIDTH = 30;
const REDRAW_MS = 100;

export function progress(label: string, opts: ProgressOptions = {}): Progress {
  const log = opts.log ?? ((line: string) => console.log(line));
  const stream = opts.stream === undefined ? process.stderr : opts.stream;
  const tty = Boolean(stream?.isTTY);
  const now = opts.now ?? (() => Date.now());
  const everyMs = (opts.everyS ?? 10) * 1000;
  const start = now();
  let lastDraw = -Infinity;
  let lastLine = start;
  let drawn = ''; // the bar on screen, redrawn after a printed line
  let printed = false; // a pass too short for a periodic line gets no final line either

  const draw = (text: string) => {
    drawn = text;
    stream!.write(`\r${text}\x1b[K`);
  };
  const clear = () => {
    if (drawn) stream!.write('\r\x1b[K');
  };
  return {
    update(done, total, extra = '') {
      const t = now();
      const finished = total > 0 && done >= total;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const status = `${done}/${total}${extra ? ` ${extra}` : ''} elapsed ${clock(t - start)} ETA ${frac > 0 ? clock(((t - start) / frac) * (1 - frac)) : '?'}`;
      if (tty) {
        if (t - lastDraw < REDRAW_MS && !finished) return;
        lastDraw = t;
        draw(`${label} [${'#'.repeat(Math.round(frac * BAR_WIDTH)).padEnd(BAR_WIDTH, '.')}] ${status}`);
      } else if (t - lastLine >= everyMs || (finished && printed)) {
        lastLine = t;
        printed = true;
        log(`${label} ${status}`);
      }
    },
    print(line) {
      if (!tty) return log(line);
      clear();
      log(line);
      if (drawn) stream!.write(`\r${drawn}\x1b[K`);
    },
    done(message) {
      if (tty) clear();
      drawn = '';
      if (message) log(message);
    },
  };
}

/** 75000 ms -> "1m15s"; 4000 ms -> "4s"; 3 h 5 min -> "3h05m". */
export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
