// report.html beyond the curves: the header from the run's records, the step-0 baseline, the
// moving average over the raw loss, curves that coincide.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASELINE_FILE, ema, writeBaseline, writeReport } from '../../src/eval/report.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function runDir(rows: object[], files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-report-run-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), rows.map((r) => JSON.stringify(r) + '\n').join(''));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const report = (dir: string) => fs.readFileSync(path.join(dir, 'report.html'), 'utf8');

function pathPoints(html: string, name: string): [number, number][] {
  const m = html.match(new RegExp(`<path data-series="${name.replace(/[()]/g, '\\$&')}" d="([^"]*)"`));
  if (!m) throw new Error(`no path for ${name}`);
  return m[1].split(' ').map((p) => p.slice(1).split(',').map(Number) as [number, number]);
}

// 100 steps of a noisy decaying loss; eval at 50 and 100 where recall@10 equals accuracy@10
const rows = Array.from({ length: 100 }, (_, i) => {
  const step = i + 1;
  const row: Record<string, number> = { step, epoch: 0, loss: 3 * Math.exp(-step / 30) + 0.3 * Math.sin(step * 1.7), lr: 1e-4, grad_norm: 2, triples_per_s: 40 + (step % 3) };
  if (step % 50 === 0) Object.assign(row, { 'eval_ndcg@10': 0.5 + step / 1000, 'eval_recall@10': 0.7 + step / 1000, 'eval_accuracy@10': 0.7 + step / 1000 });
  return row;
});

describe('ema', () => {
  it('is the bias-corrected exponential moving average (hand-computed)', () => {
    // w = 0.5: (0.5*1)/0.5 = 1; (0.25*1 + 0.5*2)/0.75 = 5/3; (0.125*1 + 0.25*2 + 0.5*3)/0.875 = 17/7
    const s = ema([1, 2, 3], 0.5);
    [1, 5 / 3, 17 / 7].forEach((v, i) => expect(s[i]).toBeCloseTo(v, 12));
    expect(ema([4, 5], 0)).toEqual([4, 5]);
  });
});

describe('writeReport with the run records', () => {
  it('draws the moving average over the raw loss on the same axes', () => {
    const dir = runDir(rows);
    writeReport(dir);
    const html = report(dir);
    const raw = pathPoints(html, 'loss');
    const smooth = pathPoints(html, 'loss (moving average, weight 0.80)'); // 1 - 20/100
    expect(html).toMatch(/<path data-series="loss" [^>]*stroke-opacity="0.3"/);
    // y = a + b * loss, fitted on two raw points; the average, computed here as a weighted sum, must lie on it
    const losses = rows.map((r) => r.loss);
    const b = (raw[1][1] - raw[0][1]) / (losses[1] - losses[0]);
    const a = raw[0][1] - b * losses[0];
    const w = 0.8;
    for (const i of [0, 1, 10, 57, 99]) {
      let num = 0;
      for (let j = 0; j <= i; j++) num += w ** (i - j) * (1 - w) * losses[j];
      const expected = num / (1 - w ** (i + 1));
      expect(smooth[i][0]).toBe(raw[i][0]);
      expect(Math.abs(smooth[i][1] - (a + b * expected))).toBeLessThan(0.02); // px, coordinates rounded to 0.01
    }
  });

  it('puts the step-0 baseline first in the table and the eval curves', () => {
    const dir = runDir(rows);
    writeBaseline(dir, { 'ndcg@10': 0.1234, 'recall@10': 0.25, 'accuracy@10': 0.25 });
    writeReport(dir);
    const html = report(dir);
    expect(html).toMatch(/<tr class="baseline"><td>0 \(before training\)<\/td><td>0\.1234<\/td><td>0\.2500<\/td><td>0\.2500<\/td><\/tr>/);
    const ndcg = pathPoints(html, 'eval_ndcg@10');
    const loss = pathPoints(html, 'loss');
    expect(ndcg).toHaveLength(3);
    // step 0 is left of step 1 by as much as step 1 is left of step 2
    expect(ndcg[0][0]).toBeCloseTo(loss[0][0] - (loss[1][0] - loss[0][0]), 1);
    expect(ndcg[0][1]).toBeGreaterThan(ndcg[1][1]); // 0.1234 is drawn lower than 0.55
    writeBaseline(dir, undefined);
    expect(fs.existsSync(path.join(dir, BASELINE_FILE))).toBe(false);
  });

  it('tells coinciding eval curves apart: width, dash, marker and the legend', () => {
    const dir = runDir(rows);
    writeReport(dir);
    const html = report(dir);
    const style = (name: string) => html.match(new RegExp(`<path data-series="${name}" [^>]*/>`))![0];
    const [r, a] = [style('eval_recall@10'), style('eval_accuracy@10')];
    const width = (s: string) => Number(s.match(/stroke-width="([\d.]+)"/)![1]);
    expect(width(r)).toBeGreaterThan(width(a) + 0.5); // the later curve is drawn inside the earlier one
    expect(r.match(/stroke-dasharray="[^"]*"/)?.[0]).not.toBe(a.match(/stroke-dasharray="[^"]*"/)?.[0]);
    expect(r.match(/stroke="[^"]*"/)![0]).not.toBe(a.match(/stroke="[^"]*"/)![0]);
    expect(html).toContain('>recall@10 (= accuracy@10)</text>');
    expect(html).toContain('>accuracy@10 (= recall@10)</text>');
    expect(html).toContain('>ndcg@10</text>');
  });

  it('heads the report with the recipe, the environment, the engine, duration and throughput', () => {
    const recipe = 'model: {path: models/my-encoder, max_seq_length: 128}\ndata: {train: [data/a.jsonl, data/b.parquet]}\n' +
      'loss: {name: mnrl, scale: 20, symmetric: false, mini_batch_size: 32}\ntrain: {batch_size: 64, lr: 2.0e-5, schedule: linear, warmup_steps: 10, max_steps: 100, seed: 0}\n' +
      'eval: {data: data/eval, every: 50, split: test}\n';
    const env = JSON.stringify({ densetrain: '0.1.0', node: 'v20.20.2', onnxruntime: '1.30.0', cpu: 'AMD EPYC <x>' });
    const dir = runDir(rows, { 'recipe.resolved.yaml': recipe, 'environment.json': env });
    writeReport(dir, { engine: 'densetrain: engine onnx, onnxruntime-node 1.30.0 cpu execution provider, 2 threads', durationS: 125 });
    const html = report(dir);
    const dd = (dt: string) => html.match(new RegExp(`<dt>${dt}</dt><dd>(.*?)</dd>`))?.[1];
    expect(dd('model')).toBe('<code>models/my-encoder</code>, max_seq_length 128');
    expect(dd('data')).toBe('<code>data/a.jsonl</code>, <code>data/b.parquet</code>');
    expect(dd('loss')).toBe('<code>mnrl</code> (scale 20, symmetric false)');
    expect(dd('training')).toBe('batch 64, lr 0.00002, linear schedule, warmup 10 steps, 100 steps, seed 0');
    expect(dd('engine')).toBe('engine onnx, onnxruntime-node 1.30.0 cpu execution provider, 2 threads');
    expect(dd('duration')).toBe('2 min 5 s');
    expect(dd('throughput')).toBe('41.0 triples/s (median over 100 steps)'); // 40, 41, 42 in turn
    expect(dd('environment')).toBe('densetrain 0.1.0 · node v20.20.2 · onnxruntime 1.30.0 · cpu AMD EPYC &lt;x&gt;');
  });

  it('without the run records, says what metrics.jsonl says', () => {
    const dir = runDir(rows);
    writeReport(dir);
    const html = report(dir);
    expect(html).not.toContain('<dt>model</dt>');
    expect(html).toContain('<dt>steps</dt><dd>100, last loss');
    expect(html).toContain('<dt>throughput</dt>');
  });

  it('names the file and field of a bad run record', () => {
    expect(() => writeReport(runDir(rows, { [BASELINE_FILE]: '{"ndcg@10": "high"}' }))).toThrow(/eval_baseline\.json, field "ndcg@10": expected a finite number, got "high"/);
    expect(() => writeReport(runDir(rows, { 'environment.json': '{"node": ' }))).toThrow(/environment\.json: not valid/);
    expect(() => writeReport(runDir(rows, { 'recipe.resolved.yaml': '- a list' }))).toThrow(/recipe\.resolved\.yaml: expected a mapping/);
  });
});
