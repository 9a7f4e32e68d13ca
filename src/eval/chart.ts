// A line chart as inline SVG (no scripts, no fonts to fetch), for the training report. Each
// series is one <path data-series="NAME">, its points in the order given, x and y scaled
// linearly from the data's range onto the plot area (y grows downward in SVG, so it is flipped).

export interface Series {
  name: string;
  points: [x: number, y: number][];
}

const WIDTH = 720;
const HEIGHT = 260;
const MARGIN = { left: 70, right: 20, top: 30, bottom: 40 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
// Eval curves have few points; a marker makes a single point visible at all.
const MARKERS_UP_TO = 50;
// Legend entries are 150 px apart: four fit a row, two rows fit the top margin.
const LEGEND_PER_ROW = 4;

export function lineChart(title: string, series: Series[], xLabel: string): string {
  const all = series.flatMap((s) => s.points);
  const x = scale(all.map((p) => p[0]), MARGIN.left, WIDTH - MARGIN.right);
  const y = scale(all.map((p) => p[1]), HEIGHT - MARGIN.bottom, MARGIN.top);
  const body = series.map((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points.map(([px, py], j) => `${j === 0 ? 'M' : 'L'}${fmt(x.to(px))},${fmt(y.to(py))}`).join(' ');
    const markers = s.points.length <= MARKERS_UP_TO ? s.points.map(([px, py]) => `<circle cx="${fmt(x.to(px))}" cy="${fmt(y.to(py))}" r="2.5" fill="${color}"/>`).join('') : '';
    return `<path data-series="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>${markers}`;
  });
  const legend = series.length > 1
    ? series.map((s, i) => `<text x="${MARGIN.left + 10 + 150 * (i % LEGEND_PER_ROW)}" y="${MARGIN.top - 18 + 12 * Math.floor(i / LEGEND_PER_ROW)}" fill="${COLORS[i % COLORS.length]}">${escapeXml(s.name)}</text>`).join('')
    : '';
  const bottom = HEIGHT - MARGIN.bottom;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${WIDTH - MARGIN.left - MARGIN.right}" height="${bottom - MARGIN.top}" fill="#fafafa" stroke="#ccc"/>`,
    ...[y.min, (y.min + y.max) / 2, y.max].map((v) => `<text x="${MARGIN.left - 6}" y="${fmt(y.to(v)) + 4}" text-anchor="end">${tick(v)}</text>`),
    ...[x.min, x.max].map((v) => `<text x="${fmt(x.to(v))}" y="${bottom + 16}" text-anchor="middle">${tick(v)}</text>`),
    `<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    ...body,
    legend,
    '</svg>',
  ].join('\n');
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Maps [min, max] of the values onto [from, to]; a flat range maps to the middle. */
function scale(values: number[], from: number, to: number) {
  // a loop, not Math.min(...values): a long run has more points than a call takes arguments
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  return { min, max, to: (v: number) => (span > 0 ? from + ((v - min) / span) * (to - from) : (from + to) / 2) };
}

function fmt(v: number): number {
  return Math.round(v * 100) / 100;
}

function tick(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-2) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}
