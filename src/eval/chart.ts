// A line chart as inline SVG (no scripts, no fonts to fetch), for the training report. Each
// series is one <path data-series="NAME">, its points in the order given, x and y scaled
// linearly onto the plot area (y grows downward in SVG, so it is flipped). The axes run between
// "nice" ticks (1, 2 or 5 times a power of ten) that enclose the data, with grid lines; the SVG
// scales to the width of the page (viewBox), so a chart is as wide as the report.

export type Marker = 'circle' | 'square' | 'triangle' | 'diamond' | 'none';

export interface Series {
  name: string;
  /** The legend's text (default: name). */
  label?: string;
  points: [x: number, y: number][];
  color?: string;
  /** SVG stroke-dasharray, e.g. '6 3'. */
  dash?: string;
  width?: number;
  opacity?: number;
  /** Default: circles when the series has few points (eval curves), so a single point shows at all. */
  marker?: Marker;
  markerSize?: number;
}

export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
// Seven eval metrics, each its own (colour, dash, marker); the 7th (accuracy@10) is solid with a
// circle so that, drawn inside the 3rd (recall@10, dotted with triangles) when they coincide, both show.
export const DASHES = ['', '8 3', '2 3', '10 3 2 3', '5 4', '12 3 3 3', '', '16 4'];
export const MARKERS: Marker[] = ['circle', 'square', 'triangle', 'diamond', 'square', 'triangle', 'circle', 'diamond'];

const WIDTH = 1000;
const PLOT_HEIGHT = 240;
const MARGIN = { left: 80, right: 24, top: 12, bottom: 44 };
const MARKERS_UP_TO = 50;
const LEGEND_ROW = 18;
// sans-serif at 13 px averages under 7.5 px a character; entries are laid out with that width
const CHAR_PX = 7.5;

export function lineChart(title: string, series: Series[], xLabel: string): string {
  const places = series.length > 1 ? legendPlaces(series) : [];
  const legendRows = places.length ? places[places.length - 1].row + 1 : 0;
  const top = MARGIN.top + legendRows * LEGEND_ROW;
  const height = top + PLOT_HEIGHT + MARGIN.bottom;
  const bottom = top + PLOT_HEIGHT;
  const right = WIDTH - MARGIN.right;
  const all = series.flatMap((s) => s.points);
  const xt = niceTicks(all.map((p) => p[0]), 8);
  const yt = niceTicks(all.map((p) => p[1]), 5);
  const x = scale(xt[0], xt[xt.length - 1], MARGIN.left, right);
  const y = scale(yt[0], yt[yt.length - 1], bottom, top);
  const xStep = xt.length > 1 ? xt[1] - xt[0] : 1;
  const yStep = yt.length > 1 ? yt[1] - yt[0] : 1;
  const grid = [
    ...yt.map((v) => `<line x1="${MARGIN.left}" x2="${right}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="#e4e4e4"/><text x="${MARGIN.left - 8}" y="${fmt(y(v)) + 4}" text-anchor="end">${formatTick(v, yStep)}</text>`),
    ...xt.map((v) => `<line x1="${fmt(x(v))}" x2="${fmt(x(v))}" y1="${top}" y2="${bottom}" stroke="#eeeeee"/><text x="${fmt(x(v))}" y="${bottom + 18}" text-anchor="middle">${formatTick(v, xStep)}</text>`),
  ];
  const body = series.map((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const d = s.points.map(([px, py], j) => `${j === 0 ? 'M' : 'L'}${fmt(x(px))},${fmt(y(py))}`).join(' ');
    const marker = s.marker ?? (s.points.length <= MARKERS_UP_TO ? 'circle' : 'none');
    const style = `fill="none" stroke="${color}" stroke-width="${s.width ?? 1.75}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}${s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : ''}`;
    const markers = s.points.map(([px, py]) => markerSvg(marker, x(px), y(py), color, s.markerSize)).join('');
    return `<path data-series="${escapeXml(s.name)}" d="${d}" ${style}/>${markers}`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="100%" font-family="sans-serif" font-size="13" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="${MARGIN.left}" y="${top}" width="${right - MARGIN.left}" height="${PLOT_HEIGHT}" fill="#fcfcfc" stroke="#bbb"/>`,
    ...grid,
    `<text x="${(MARGIN.left + right) / 2}" y="${height - 6}" text-anchor="middle" fill="#555">${escapeXml(xLabel)}</text>`,
    ...body,
    places.length ? legend(series, places) : '',
    '</svg>',
  ].join('\n');
}

/** Legend entries flowed left to right in rows above the plot, each as wide as its text. */
function legendPlaces(series: Series[]): { x: number; row: number }[] {
  let x = MARGIN.left;
  let row = 0;
  return series.map((s) => {
    const w = 60 + CHAR_PX * (s.label ?? s.name).length;
    if (x > MARGIN.left && x + w > WIDTH - MARGIN.right) {
      x = MARGIN.left;
      row++;
    }
    const place = { x, row };
    x += w;
    return place;
  });
}

/** A line sample (colour, dash, marker) and the name of each series. */
function legend(series: Series[], places: { x: number; row: number }[]): string {
  return series.map((s, i) => {
    const lx = places[i].x;
    const ly = MARGIN.top + LEGEND_ROW * places[i].row + 4;
    const color = s.color ?? COLORS[i % COLORS.length];
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    const marker = s.marker ?? (s.points.length <= MARKERS_UP_TO ? 'circle' : 'none');
    return `<g data-legend="${escapeXml(s.name)}"><line x1="${lx}" x2="${lx + 34}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="${s.width ?? 1.75}"${dash}${s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : ''}/>` +
      `${markerSvg(marker, lx + 17, ly, color, s.markerSize)}<text x="${lx + 40}" y="${ly + 4}">${escapeXml(s.label ?? s.name)}</text></g>`;
  }).join('\n');
}

function markerSvg(marker: Marker, cx: number, cy: number, color: string, size = 3.5): string {
  const [x, y] = [fmt(cx), fmt(cy)];
  const r = size;
  switch (marker) {
    case 'none':
      return '';
    case 'circle':
      return `<circle cx="${x}" cy="${y}" r="${r}" fill="${color}"/>`;
    case 'square':
      return `<rect x="${fmt(cx - 0.9 * r)}" y="${fmt(cy - 0.9 * r)}" width="${fmt(1.8 * r)}" height="${fmt(1.8 * r)}" fill="${color}"/>`;
    case 'triangle':
      return `<polygon points="${x},${fmt(cy - 1.3 * r)} ${fmt(cx + 1.15 * r)},${fmt(cy + 0.85 * r)} ${fmt(cx - 1.15 * r)},${fmt(cy + 0.85 * r)}" fill="${color}"/>`;
    case 'diamond':
      return `<polygon points="${x},${fmt(cy - 1.3 * r)} ${fmt(cx + 1.3 * r)},${y} ${x},${fmt(cy + 1.3 * r)} ${fmt(cx - 1.3 * r)},${y}" fill="${color}"/>`;
  }
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Ticks 1, 2 or 5 x 10^k apart, about `count` of them, the first at or below the smallest value
 * and the last at or above the largest. A flat range gets a span around its value.
 */
export function niceTicks(values: number[], count: number): number[] {
  // a loop, not Math.min(...values): a long run has more points than a call takes arguments
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(min <= max)) return [0, 1];
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const norm = rough / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  // multiples of the step, rounded to the step's precision so 0.1 * 3 prints as 0.3
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toFixed(Math.min(digits, 100))));
}

/** A tick label with as many decimals as the tick spacing needs; tiny or huge values in e-notation (2e-5, 1.5e-5). */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const s = Math.abs(step);
  if (s < 1e-3 || Math.abs(v) >= 1e6) {
    const exp = Math.floor(Math.log10(Math.abs(v)));
    const mantissaDigits = Math.max(0, Math.floor(Math.log10(Math.abs(v))) - Math.floor(Math.log10(s)));
    return Number((v / 10 ** exp).toFixed(mantissaDigits)) + `e${exp}`;
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(s) + 1e-9));
  return v.toFixed(decimals);
}

/** Maps [lo, hi] onto [from, to]. */
function scale(lo: number, hi: number, from: number, to: number): (v: number) => number {
  const span = hi - lo;
  return (v) => (span > 0 ? from + ((v - lo) / span) * (to - from) : (from + to) / 2);
}

function fmt(v: number): number {
  return Math.round(v * 100) / 100;
}
