import { describe, expect, it } from 'vitest';
import { clock, progress } from '../src/progress.js';

/** A fake terminal that records writes, and a fake clock. */
function setup(isTTY: boolean) {
  const out: string[] = [];
  const stream = { isTTY, write: (s: string) => out.push(`tty:${s}`) } as unknown as NodeJS.WriteStream;
  const log = (line: string) => out.push(`log:${line}`);
  let t = 0;
  return { out, stream, log, tick: (s: number) => (t += s * 1000), now: () => t };
}

describe('progress without a terminal', () => {
  it('prints a line with the ETA every everyS seconds and one at the end', () => {
    const { out, stream, log, tick, now } = setup(false);
    const bar = progress('train', { log, stream, everyS: 10, now });
    for (let step = 1; step <= 100; step++) {
      tick(0.5);
      bar.update(step, 100, 'loss 1.0');
    }
    // 0.5 s a step: lines at 10 s, 20 s, ... 50 s (step 100 is both the 50 s line and the end)
    expect(out).toEqual([
      'log:train 20/100 loss 1.0 elapsed 10s ETA 40s',
      'log:train 40/100 loss 1.0 elapsed 20s ETA 30s',
      'log:train 60/100 loss 1.0 elapsed 30s ETA 20s',
      'log:train 80/100 loss 1.0 elapsed 40s ETA 10s',
      'log:train 100/100 loss 1.0 elapsed 50s ETA 0s',
    ]);
  });

  it('says nothing for a pass shorter than everyS; printed lines go to log', () => {
    const { out, stream, log, tick, now } = setup(false);
    const bar = progress('eval', { log, stream, everyS: 10, now });
    tick(1);
    bar.update(50, 50);
    bar.print('eval at step 0: ndcg@10 0.1000');
    bar.done();
    expect(out).toEqual(['log:eval at step 0: ndcg@10 0.1000']);
  });

  it('with stream null (a library caller\'s log), never writes to a terminal', () => {
    const { out, log, tick, now } = setup(true);
    const bar = progress('train', { log, stream: null, everyS: 1, now });
    tick(2);
    bar.update(1, 2);
    bar.print('x');
    bar.done();
    expect(out.every((l) => l.startsWith('log:'))).toBe(true);
    expect(out).toEqual(['log:train 1/2 elapsed 2s ETA 2s', 'log:x']);
  });
});

describe('progress on a terminal', () => {
  it('prints a line above the bar: clear, line, bar again', () => {
    const { out, stream, log, tick, now } = setup(true);
    const bar = progress('train', { log, stream, now });
    tick(4);
    bar.update(1, 4, 'loss 2.0');
    const drawn = out.at(-1)!;
    expect(drawn).toBe('tty:\rtrain [########......................] 1/4 loss 2.0 elapsed 4s ETA 12s\x1b[K');
    bar.print('eval at step 1: ndcg@10 0.5000');
    expect(out.slice(-3)).toEqual(['tty:\r\x1b[K', 'log:eval at step 1: ndcg@10 0.5000', drawn]);
    bar.done('done');
    expect(out.slice(-2)).toEqual(['tty:\r\x1b[K', 'log:done']);
  });

  it('redraws at most every 100 ms, but always the last update', () => {
    const { out, stream, log, tick, now } = setup(true);
    const bar = progress('embed', { log, stream, now });
    for (let i = 1; i <= 10; i++) {
      tick(0.01);
      bar.update(i, 10);
    }
    expect(out.map((l) => l.match(/\] (\d+)\/10/)![1])).toEqual(['1', '10']);
  });
});

it('clock', () => {
  expect(clock(4000)).toBe('4s');
  expect(clock(75_000)).toBe('1m15s');
  expect(clock((3 * 3600 + 5 * 60) * 1000)).toBe('3h05m');
});
