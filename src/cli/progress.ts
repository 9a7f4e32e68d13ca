// A one-line progress bar on a TTY; on pipes and in CI nothing but the final line.
export interface Progress {
  update(done: number, total: number, extra?: string): void;
  done(message?: string): void;
}

export function progress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const start = Date.now();
  const tty = Boolean(stream.isTTY);
  let last = 0;
  return {
    update(done, total, extra = '') {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const frac = total > 0 ? done / total : 0;
      const width = 30;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      const elapsed = (now - start) / 1000;
      const eta = frac > 0 ? (elapsed / frac - elapsed).toFixed(0) : '?';
      stream.write(`\r${label} [${bar}] ${done}/${total} ${extra} ETA ${eta}s  `);
    },
    done(message) {
      if (tty) stream.write('\r\x1b[K');
      if (message) stream.write(message + '\n');
    },
  };
}
