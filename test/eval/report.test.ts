import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/eval/report.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function runDir(lines: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-report-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
  return dir;
}

// 40 steps: decaying loss, linear warmup then decay of lr, eval every 10 steps (as the trainer
// logs it: the eval metrics on that step's row).
const rows = Array.from({ length: 40 }, (_, i) => {
  const step = i + 1;
  const row: Record<string, number> = {
    step,
    loss: 2 * Math.exp(-step / 15) + 0.1 * Math.sin(step),
    lr: step <= 5 ? (2e-5 * step) / 5 : 2e-5 * (40 - step) / 35,
    grad_norm: 1 + 1 / step,
    triples_per_s: 100 + step,
  };
  if (step % 10 === 0) Object.assign(row, { 'eval_ndcg@10': 0.3 + step / 100, 'eval_mrr@10': 0.25 + step / 90 });
  return row;
});

/** The points of `<path data-series="NAME" d="M x,y L x,y ...">`. */
function pathPoints(html: string, name: string): [number, number][] {
  const m = html.match(new RegExp(`<path data-series="${name}" d="([^"]*)"`));
  if (!m) throw new Error(`no path for ${name}`);
  return m[1].split(' ').map((p) => p.slice(1).split(',').map(Number) as [number, number]);
}

/** Largest distance between the points and the affine image of (xs, ys) fitted on the extremes. */
function affineError(points: [number, number][], xs: number[], ys: number[]): { err: number; yFlipped: boolean } {
  const fit = (from: number[], to: number[]) => {
    const lo = from.indexOf(Math.min(...from));
    const hi = from.indexOf(Math.max(...from));
    const a = (to[hi] - to[lo]) / (from[hi] - from[lo]);
    return { a, at: (v: number) => to[lo] + a * (v - from[lo]) };
  };
  const fx = fit(xs, points.map((p) => p[0]));
  const fy = fit(ys, points.map((p) => p[1]));
  const err = Math.max(...points.map(([x, y], i) => Math.max(Math.abs(x - fx.at(xs[i])), Math.abs(y - fy.at(ys[i])))));
  return { err, yFlipped: fy.a < 0 };
}

describe('writeReport', () => {
  it('draws one path per curve whose points follow metrics.jsonl', () => {
    const dir = runDir(rows.map((r) => JSON.stringify(r)));
    writeReport(dir);
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    for (const key of ['loss', 'lr', 'grad_norm', 'eval_ndcg@10', 'eval_mrr@10']) {
      const withKey = rows.filter((r) => key in r);
      const points = pathPoints(html, key);
      expect(points.length, key).toBe(withKey.length);
      // coordinates are rounded to 0.01 px
      const { err, yFlipped } = affineError(points, withKey.map((r) => r.step), withKey.map((r) => r[key]));
      expect(err, key).toBeLessThan(0.011);
      expect(yFlipped, `${key}: larger values are drawn higher`).toBe(true);
    }
    // loss, its moving average, lr, grad_norm and two eval curves; no curve for triples_per_s
    expect(html.match(/<path data-series=/g)).toHaveLength(6);
    expect(html).not.toContain('data-series="triples_per_s"');
    expect(html).toMatch(/<td[^>]*>0\.7000<\/td>/); // eval table: ndcg@10 at step 40
  });

  it('is self-contained and replaces an old report atomically', () => {
    const dir = runDir(rows.map((r) => JSON.stringify(r)));
    fs.writeFileSync(path.join(dir, 'report.html'), 'old');
    writeReport(dir);
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|\ssrc=|href=|url\(|@import/i);
    expect(fs.readdirSync(dir).sort()).toEqual(['metrics.jsonl', 'report.html']);
  });

  it('names the file, line and field of bad rows', () => {
    const good = JSON.stringify(rows[0]);
    expect(() => writeReport(runDir([good, '{"step": 2, "loss": '])) ).toThrow(/metrics\.jsonl line 2: not JSON/);
    expect(() => writeReport(runDir([good, '{"step": 2, "loss": null}']))).toThrow(/metrics\.jsonl line 2, field "loss": expected a finite number, got null/);
    expect(() => writeReport(runDir(['{"loss": 1}']))).toThrow(/metrics\.jsonl line 1, field "step": missing/);
    const missing = runDir([]);
    fs.rmSync(path.join(missing, 'metrics.jsonl'));
    expect(() => writeReport(missing)).toThrow(/metrics\.jsonl: not found/);
  });
});
