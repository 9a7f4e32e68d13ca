// Bytes downloaded, as a one-line bar on stderr when it is a terminal (nothing on pipes and in CI).
export interface DownloadProgress {
  add(bytes: number): void;
  /** Clear the bar's line. */
  done(): void;
}

export function downloadProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): DownloadProgress {
  const tty = Boolean(stream.isTTY);
  const start = Date.now();
  let done = 0;
  let last = 0;
  return {
    add(bytes) {
      done += bytes;
      const now = Date.now();
      if (!tty || (now - last < 100 && done < total)) return;
      last = now;
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const rate = done / 1e6 / Math.max((now - start) / 1000, 1e-3);
      stream.write(`\r${label} [${'#'.repeat(Math.round(frac * 30)).padEnd(30, '.')}] ${(done / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB ${rate.toFixed(1)} MB/s  `);
    },
    done() {
      if (tty) stream.write('\r\x1b[K');
    },
  };
}
