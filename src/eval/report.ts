// report.html for a training run: loss, learning-rate, gradient-norm and eval curves from
// metrics.jsonl, plus a table of the eval rows. Self-contained (inline SVG and CSS, no scripts,
// nothing fetched), written atomically so a crash never leaves half a report.
import fs from 'node:fs';
import path from 'node:path';
import { readJsonObjectsSync } from '../data/lines-sync.js';
import { escapeXml, lineChart, type Series } from './chart.js';

/** A metrics.jsonl row: `step` and the numeric fields the report charts. */
type MetricsRow = { step: number } & Record<string, number>;

const CHARTS: { title: string; keys: (key: string) => boolean }[] = [
  { title: 'Training loss', keys: (k) => k === 'loss' },
  { title: 'Learning rate', keys: (k) => k === 'lr' },
  { title: 'Gradient norm (before clipping)', keys: (k) => k === 'grad_norm' },
  { title: 'Retrieval evaluation', keys: (k) => k.startsWith('eval_') },
];
const charted = (k: string) => CHARTS.some((c) => c.keys(k));

export function writeReport(outputDir: string): void {
  const rows = readMetrics(path.join(outputDir, 'metrics.jsonl'));
  const file = path.join(outputDir, 'report.html');
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, renderReport(rows, outputDir));
  fs.renameSync(tmp, file);
}

function readMetrics(file: string): MetricsRow[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: not found (the training run writes it)`);
  const rows: MetricsRow[] = [];
  for (const { rec, where } of readJsonObjectsSync(file)) {
    const row: Record<string, number> = {};
    for (const [k, v] of Object.entries(rec)) {
      if (k !== 'step' && !charted(k)) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}, field "${k}": expected a finite number, got ${JSON.stringify(v)}`);
      row[k] = v;
    }
    if (row.step === undefined) throw new Error(`${where}, field "step": missing`);
    rows.push(row as MetricsRow);
  }
  if (rows.length === 0) throw new Error(`${file}: no rows`);
  return rows;
}

/** One series per charted key, in the order keys first appear; points are (step, value) in file order. */
function seriesOf(rows: MetricsRow[]): Series[] {
  const byKey = new Map<string, Series>();
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      if (k === 'step') continue;
      if (!byKey.has(k)) byKey.set(k, { name: k, points: [] });
      byKey.get(k)!.points.push([row.step, v]);
    }
  }
  return [...byKey.values()];
}

function renderReport(rows: MetricsRow[], outputDir: string): string {
  const series = seriesOf(rows);
  const charts = CHARTS.map(({ title, keys }) => ({ title, series: series.filter((s) => keys(s.name)) }))
    .filter((c) => c.series.length > 0)
    .map((c) => `<h2>${escapeXml(c.title)}</h2>\n${lineChart(c.title, c.series, 'step')}`);
  const last = rows[rows.length - 1];
  const name = path.basename(path.resolve(outputDir));
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>densetrain report: ${escapeXml(name)}</title>`,
    '<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style>',
    '</head><body>',
    `<h1>Training report: ${escapeXml(name)}</h1>`,
    `<p>${rows.length} rows, last step ${last.step}${last.loss !== undefined ? `, last loss ${last.loss.toPrecision(5)}` : ''}.</p>`,
    evalTable(rows),
    ...charts,
    '</body></html>',
    '',
  ].join('\n');
}

function evalTable(rows: MetricsRow[]): string {
  const evalRows = rows.filter((r) => Object.keys(r).some((k) => k.startsWith('eval_')));
  if (evalRows.length === 0) return '<p>No evaluation rows.</p>';
  const keys = [...new Set(evalRows.flatMap((r) => Object.keys(r).filter((k) => k.startsWith('eval_'))))];
  const head = `<tr><th>step</th>${keys.map((k) => `<th>${escapeXml(k.slice('eval_'.length))}</th>`).join('')}</tr>`;
  const body = evalRows.map((r) => `<tr><td>${r.step}</td>${keys.map((k) => `<td>${r[k] === undefined ? '' : r[k].toFixed(4)}</td>`).join('')}</tr>`);
  return `<h2>Evaluation</h2>\n<table>\n${head}\n${body.join('\n')}\n</table>`;
}
