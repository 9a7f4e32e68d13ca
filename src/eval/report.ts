// report.html for a training run: a header saying what ran (model, data, loss, engine, duration,
// throughput), the evaluation table with the step-0 baseline, and full-width curves of loss (raw,
// faint, under its moving average), learning rate, gradient norm and evaluation metrics, from the
// run folder's metrics.jsonl (plus eval_baseline.json, recipe.resolved.yaml and environment.json
// when the run wrote them). Self-contained (inline SVG and CSS, no scripts, nothing fetched),
// written atomically so a crash never leaves half a report.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { readJsonObjectsSync } from '../data/lines-sync.js';
import { COLORS, DASHES, escapeXml, lineChart, MARKERS, type Series } from './chart.js';
import { writeFileAtomically, writeJsonAtomically } from '../atomic-file.js';

/** A metrics.jsonl row: `step` and the numeric fields the report uses. */
type MetricsRow = { step: number } & Record<string, number>;

/** What the trainer knows that the run folder may not say. */
export interface RunInfo {
  /** The resolved recipe (else recipe.resolved.yaml is read, if the run wrote it). */
  recipe?: object;
  /** The line that says what computes (the engine's description). */
  engine?: string;
  /** Wall-clock seconds of this training process. */
  durationS?: number;
}

/** The step-0 evaluation (before any update), kept for the report of a run that is resumed later. */
export const BASELINE_FILE = 'eval_baseline.json';

const LOSS_COLOR = '#1f77b4';
const CHARTS: { title: string; keys: (key: string) => boolean }[] = [
  { title: 'Training loss', keys: (k) => k === 'loss' },
  { title: 'Learning rate', keys: (k) => k === 'lr' },
  { title: 'Gradient norm (before clipping)', keys: (k) => k === 'grad_norm' },
  { title: 'Retrieval evaluation', keys: (k) => k.startsWith('eval_') },
];
const read = (k: string) => k === 'triples_per_s' || CHARTS.some((c) => c.keys(k));

export function writeReport(outputDir: string, info: RunInfo = {}): void {
  const rows = readMetrics(path.join(outputDir, 'metrics.jsonl'));
  const file = path.join(outputDir, 'report.html');
  writeFileAtomically(file, renderReport(rows, readRunFiles(outputDir), info, outputDir));
}

/** Keeps the step-0 evaluation next to metrics.jsonl (atomically); `undefined` removes an earlier run's. */
export function writeBaseline(outputDir: string, metrics: Record<string, number> | undefined): void {
  const file = path.join(outputDir, BASELINE_FILE);
  if (!metrics) {
    fs.rmSync(file, { force: true });
    return;
  }
  writeJsonAtomically(file, metrics);
}

function readMetrics(file: string): MetricsRow[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: not found (the training run writes it)`);
  const rows: MetricsRow[] = [];
  for (const { rec, where } of readJsonObjectsSync(file)) {
    const row: Record<string, number> = {};
    for (const [k, v] of Object.entries(rec)) {
      if (k !== 'step' && !read(k)) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}, field "${k}": expected a finite number, got ${JSON.stringify(v)}`);
      row[k] = v;
    }
    if (row.step === undefined) throw new Error(`${where}, field "step": missing`);
    rows.push(row as MetricsRow);
  }
  if (rows.length === 0) throw new Error(`${file}: no rows`);
  return rows;
}

interface RunFiles {
  baseline?: Record<string, number>;
  recipe?: Record<string, any>;
  environment?: Record<string, unknown>;
}

/** The optional records of the run folder; each one present must parse. */
function readRunFiles(dir: string): RunFiles {
  const parsed = (name: string, parse: (text: string) => unknown): unknown => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) return undefined;
    let v: unknown;
    try {
      v = parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: not valid (${(e as Error).message.split('\n')[0]})`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file}: expected a mapping`);
    return v;
  };
  const baseline = parsed(BASELINE_FILE, JSON.parse) as Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(baseline ?? {})) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${path.join(dir, BASELINE_FILE)}, field "${k}": expected a finite number, got ${JSON.stringify(v)}`);
  }
  return {
    baseline: baseline as Record<string, number> | undefined,
    recipe: parsed('recipe.resolved.yaml', (t) => YAML.parse(t)) as Record<string, any> | undefined,
    environment: parsed('environment.json', JSON.parse) as Record<string, unknown> | undefined,
  };
}

/** One series per key, in the order keys first appear; points are (step, value) in file order. */
function seriesOf(rows: MetricsRow[], keep: (k: string) => boolean): Map<string, [number, number][]> {
  const byKey = new Map<string, [number, number][]>();
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      if (k === 'step' || !keep(k)) continue;
      if (!byKey.has(k)) byKey.set(k, []);
      byKey.get(k)!.push([row.step, v]);
    }
  }
  return byKey;
}

/** The smoothing weight for n points: about n/20 points of memory, none below 20 points. */
export function emaWeight(n: number): number {
  return Math.min(0.98, Math.max(0, 1 - 20 / n));
}

/** Exponential moving average with TensorBoard's bias correction, so the first values are not pulled towards 0. */
export function ema(values: number[], weight: number): number[] {
  let acc = 0;
  return values.map((v, i) => {
    acc = acc * weight + (1 - weight) * v;
    return weight > 0 ? acc / (1 - weight ** (i + 1)) : v;
  });
}

function chartSeries(title: string, byKey: Map<string, [number, number][]>, baseline: Record<string, number> | undefined): Series[] {
  if (title === 'Training loss') {
    const raw = byKey.get('loss');
    if (!raw) return [];
    const w = emaWeight(raw.length);
    if (w === 0) return [{ name: 'loss', points: raw, color: LOSS_COLOR }];
    const smooth = ema(raw.map((p) => p[1]), w);
    return [
      { name: 'loss', points: raw, color: LOSS_COLOR, opacity: 0.3, width: 1.25, marker: 'none' },
      { name: `loss (moving average, weight ${w.toFixed(2)})`, points: raw.map(([s], i) => [s, smooth[i]]), color: LOSS_COLOR, width: 2.5, marker: 'none' },
    ];
  }
  const keys = [...byKey.keys()].filter((k) => CHARTS.find((c) => c.title === title)!.keys(k));
  if (!keys.every((k) => k.startsWith('eval_'))) return keys.map((k, i) => ({ name: k, points: byKey.get(k)!, color: COLORS[i % COLORS.length] }));
  // Eval curves: a colour, a dash and a marker each, and each drawn thinner than the one before,
  // so that curves that coincide (recall@10 and accuracy@10 with one relevant document per
  // query) show as a wide line with a narrow dashed one inside it; the legend names the pairs.
  const series = keys.map((k, i): Series => {
    const name = k.slice('eval_'.length);
    const base = baseline?.[name];
    const points = base !== undefined ? [[0, base] as [number, number], ...byKey.get(k)!] : byKey.get(k)!;
    const width = 3.5 - (2 * i) / Math.max(1, keys.length - 1);
    return { name: k, label: name, points, color: COLORS[i % COLORS.length], dash: DASHES[i % DASHES.length], marker: MARKERS[i % MARKERS.length], width, markerSize: width + 1.5 };
  });
  return series.map((s) => {
    const twins = series.filter((o) => o !== s && samePoints(o.points, s.points)).map((o) => o.name.slice('eval_'.length));
    return twins.length ? { ...s, label: `${s.label} (= ${twins.join(', ')})` } : s;
  });
}

function samePoints(a: [number, number][], b: [number, number][]): boolean {
  return a.length === b.length && a.every(([x, y], i) => x === b[i][0] && y === b[i][1]);
}

function renderReport(rows: MetricsRow[], run: RunFiles, info: RunInfo, outputDir: string): string {
  const byKey = seriesOf(rows, (k) => CHARTS.some((c) => c.keys(k)));
  const charts = CHARTS.map(({ title }) => ({ title, series: chartSeries(title, byKey, run.baseline) }))
    .filter((c) => c.series.length > 0)
    .map((c) => `<section><h2>${escapeXml(c.title)}</h2>\n${lineChart(c.title, c.series, 'step')}</section>`);
  const name = path.basename(path.resolve(outputDir));
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>densetrain report: ${escapeXml(name)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    `<h1>Training report: ${escapeXml(name)}</h1>`,
    header(rows, run, info),
    evalTable(rows, run.baseline),
    ...charts,
    '</body></html>',
    '',
  ].join('\n');
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:1.5em auto;padding:0 1.5em;max-width:1200px;color:#222}',
  'h1{font-size:1.5em;margin-bottom:.4em}h2{font-size:1.1em;margin:1.4em 0 .3em}',
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:.25em 1.2em;margin:0 0 1em}dt{color:#666}dd{margin:0}',
  '.wide{overflow-x:auto}table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.85em}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}',
  'th{background:#f4f4f4}tr.baseline td{color:#666;font-style:italic}td.best{font-weight:bold}',
  'svg{display:block;max-width:100%;height:auto}code{font-size:.95em}',
].join('');

/** What ran: model, data, loss, engine, duration, throughput; each line only when known. */
function header(rows: MetricsRow[], run: RunFiles, info: RunInfo): string {
  const r = (info.recipe as Record<string, any> | undefined) ?? run.recipe;
  const steps = rows.filter((row) => row.loss !== undefined);
  const last = steps.at(-1);
  const tps = steps.map((row) => row.triples_per_s).filter((v) => v !== undefined);
  const items: [string, string | undefined][] = [
    ['model', r?.model?.path !== undefined ? code(r.model.path) + (r.model.max_seq_length ? `, max_seq_length ${r.model.max_seq_length}` : '') : undefined],
    ['data', r?.data?.train !== undefined ? [r.data.train].flat().map(code).join(', ') : undefined],
    ['evaluation data', r?.eval?.data !== undefined ? `${code(r.eval.data)} (split ${escapeXml(String(r.eval.split ?? 'test'))}, every ${r.eval.every} steps)` : undefined],
    ['loss', r?.loss?.name !== undefined ? lossText(r.loss) : undefined],
    ['training', r?.train ? trainText(r.train) : undefined],
    ['engine', info.engine !== undefined ? escapeXml(info.engine.replace(/^densetrain: /, '')) : environmentText(run.environment)],
    ['steps', last ? `${last.step}${last.loss !== undefined ? `, last loss ${last.loss.toPrecision(4)}` : ''}` : undefined],
    ['duration', info.durationS !== undefined ? duration(info.durationS) : undefined],
    ['throughput', tps.length > 0 ? `${median(tps).toFixed(1)} triples/s (median over ${tps.length} steps)` : undefined],
  ];
  if (info.engine !== undefined && run.environment) items.push(['environment', environmentText(run.environment)]);
  const known = items.filter((i): i is [string, string] => i[1] !== undefined);
  return `<dl>\n${known.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('\n')}\n</dl>`;
}

function lossText(loss: Record<string, unknown>): string {
  // mini_batch_size is cached_mnrl's alone; the resolved recipe has its default for every loss
  const params = Object.entries(loss)
    .filter(([k, v]) => k !== 'name' && (k !== 'mini_batch_size' || loss.name === 'cached_mnrl') && v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k} ${v}`);
  return `${code(String(loss.name))}${params.length ? ` (${escapeXml(params.join(', '))})` : ''}`;
}

function trainText(t: Record<string, unknown>): string {
  const parts = [
    t.batch_size !== undefined ? `batch ${t.batch_size}${Number(t.gradient_accumulation_steps) > 1 ? ` x ${t.gradient_accumulation_steps} accumulated` : ''}` : '',
    t.lr !== undefined ? `lr ${t.lr}` : '',
    t.schedule !== undefined ? `${t.schedule} schedule` : '',
    t.warmup_ratio ? `warmup ratio ${t.warmup_ratio}` : t.warmup_steps ? `warmup ${t.warmup_steps} steps` : '',
    t.max_steps ? `${t.max_steps} steps` : t.epochs !== undefined ? `${t.epochs} epoch(s)` : '',
    t.seed !== undefined ? `seed ${t.seed}` : '',
  ];
  return escapeXml(parts.filter(Boolean).join(', '));
}

/** environment.json as "key value" pairs (nested mappings one level deep), whatever keys it has. */
function environmentText(env: Record<string, unknown> | undefined): string | undefined {
  if (!env) return undefined;
  const flat: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v)) if (v2 !== null && typeof v2 !== 'object') flat.push(`${k}.${k2} ${v2}`);
    } else if (v !== null && v !== undefined) flat.push(`${k} ${Array.isArray(v) ? v.join(', ') : v}`);
  }
  return escapeXml(flat.join(' · '));
}

function code(s: string): string {
  return `<code>${escapeXml(String(s))}</code>`;
}

function duration(s: number): string {
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.round(s % 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${sec} s` : `${s.toFixed(1)} s`;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Evaluation rows, the baseline first; the best value of each metric in bold. */
function evalTable(rows: MetricsRow[], baseline: Record<string, number> | undefined): string {
  const evalRows = rows.filter((r) => Object.keys(r).some((k) => k.startsWith('eval_')));
  if (evalRows.length === 0 && !baseline) return '<p>No evaluation rows (add an <code>eval</code> section to the recipe).</p>';
  const keys = [...new Set([
    ...Object.keys(baseline ?? {}),
    ...evalRows.flatMap((r) => Object.keys(r).filter((k) => k.startsWith('eval_')).map((k) => k.slice('eval_'.length))),
  ])];
  const table: { label: string; cls?: string; values: Record<string, number | undefined> }[] = [
    ...(baseline ? [{ label: '0 (before training)', cls: 'baseline', values: baseline }] : []),
    ...evalRows.map((r) => ({ label: String(r.step), values: Object.fromEntries(keys.map((k) => [k, r[`eval_${k}`]])) })),
  ];
  const best = Object.fromEntries(keys.map((k) => [k, Math.max(...table.map((t) => t.values[k] ?? -Infinity))]));
  const head = `<tr><th>step</th>${keys.map((k) => `<th>${escapeXml(k)}</th>`).join('')}</tr>`;
  const body = table.map((t) => `<tr${t.cls ? ` class="${t.cls}"` : ''}><td>${t.label}</td>${keys.map((k) => {
    const v = t.values[k];
    return v === undefined ? '<td></td>' : `<td${v === best[k] && table.length > 1 ? ' class="best"' : ''}>${v.toFixed(4)}</td>`;
  }).join('')}</tr>`);
  return `<h2>Evaluation</h2>\n<div class="wide"><table>\n${head}\n${body.join('\n')}\n</table></div>`;
}
