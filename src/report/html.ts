import { METRIC_FILES, type FileMetrics, type MetricResult } from '../metrics/files.js';
import type { KeypointStats } from '../metrics/stats.js';
import { uplotAssets } from './assets.js';
import { thinByMax } from './downsample.js';
import { histograms } from './histogram.js';

export interface ReportInput {
  /** The config the metrics were computed with, as given. */
  readonly config: string;
  /** The labels file, when one was given. */
  readonly labels: string | null;
  readonly files: readonly FileMetrics[];
  /** Defaults to now; fixed in tests. */
  readonly generatedAt?: Date;
  /** At most this many points per plotted series (longer series are thinned to bucket maxima). */
  readonly maxPoints?: number;
}

/** One chart, as data for the page's script. */
interface PlotSpec {
  id: string;
  kind: 'time' | 'hist';
  title: string;
  xLabel: string;
  yLabel: string;
  keypoints: string[];
  /** Each series' keypoint index in the file: its colour, the same in every chart. */
  colors: number[];
  x: number[];
  y: (number | null)[][];
  epsilon: number | null;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Numbers in the page: 4 significant digits, NaN as an en dash. */
export const fmt = (v: number | null): string => {
  if (v === null || Number.isNaN(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
};

const pct = (f: number | null): string => (f === null ? '–' : `${(100 * f).toFixed(f > 0 && f < 0.001 ? 3 : 1)}%`);

const round = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : Number(v.toPrecision(6)));

const statsTable = (keypoints: readonly string[], stats: readonly KeypointStats[]): string => {
  const unused = keypoints.filter((_, k) => stats[k].frames === 0);
  const rows = stats
    .map((s, k) => [s, k] as const)
    .filter(([s]) => s.frames > 0)
    .map(
      ([s, k]) =>
        `<tr><th scope="row">${esc(keypoints[k])}</th><td>${s.frames}</td><td>${fmt(s.median)}</td><td>${fmt(s.p95)}</td><td>${fmt(s.max)}</td>` +
        `<td>${fmt(s.epsilon)}</td><td class="${s.overEpsilon !== null && s.overEpsilon > 0.05 ? 'warn' : ''}">${pct(s.overEpsilon)}</td></tr>`,
    )
    .join('');
  return (
    `<table class="stats"><thead><tr><th scope="col">keypoint</th><th scope="col">frames</th><th scope="col">median</th>` +
    `<th scope="col">95th pct</th><th scope="col">max</th><th scope="col">ε</th><th scope="col">&gt; ε</th></tr></thead><tbody>${rows}</tbody></table>` +
    (unused.length ? `<p class="sub">no value (not used by this metric, or NaN in every frame): ${unused.map(esc).join(', ')}</p>` : '')
  );
};

/** The keypoints with at least one value (a PCA metric leaves the keypoints it does not use empty). */
const shown = (m: MetricResult): number[] => m.stats.flatMap((s, k) => (s.frames > 0 ? [k] : []));

/** The columns `cols` of a (rows × K) table. */
const columns = (values: ArrayLike<number>, rows: number, k: number, cols: readonly number[]): Float32Array => {
  const out = new Float32Array(rows * cols.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols.length; j++) out[r * cols.length + j] = values[r * k + cols[j]];
  return out;
};

const plotsOf = (f: FileMetrics, m: MetricResult, id: string, maxPoints: number): PlotSpec[] => {
  const rows = f.index.length;
  const keep = shown(m);
  const keypoints = keep.map((k) => f.keypoints[k]);
  const cols = keep.length;
  const values = cols === f.keypoints.length ? m.values : columns(m.values, rows, f.keypoints.length, keep);
  const thin = thinByMax(values, rows, cols, maxPoints);
  const hist = histograms(values, rows, cols);
  const scalarEps = typeof m.epsilon === 'number' ? m.epsilon : null;
  const along = f.kind === 'video' ? 'frame' : 'labeled frame (row)';
  return [
    {
      id: `${id}-time`,
      kind: 'time',
      title: thin.bucket > 1 ? `over time (each point: max of ${thin.bucket} frames)` : 'over time',
      xLabel: along,
      yLabel: 'px',
      keypoints,
      colors: keep,
      x: thin.x,
      y: thin.y.map((s) => s.map(round)),
      epsilon: scalarEps,
    },
    {
      id: `${id}-hist`,
      kind: 'hist',
      title: `distribution (fraction of frames per ${fmt(hist.edges[1])} px bin${hist.clipped ? `; the last bin holds everything ≥ ${fmt(hist.edges[hist.edges.length - 2])} px` : ''})`,
      xLabel: 'px',
      yLabel: 'fraction of frames',
      keypoints,
      colors: keep,
      x: hist.edges.map((e) => round(e) as number),
      // one value per edge for a step drawn from each left edge; the last repeats the last bin
      y: hist.y.map((s) => [...s, s[s.length - 1]].map(round)),
      epsilon: null,
    },
  ];
};

const CSS = `
:root { --fg: #1d2430; --muted: #5b6575; --line: #d9dee6; --accent: #2b6cb0; --warn: #b7791f; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #f6f7f9; }
header, main { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 0 0 2px; word-break: break-all; }
h3 { font-size: 16px; margin: 18px 0 8px; }
.meta, .sub { color: var(--muted); font-size: 13px; }
nav ul { margin: 8px 0 0; padding-left: 18px; }
section.file { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; margin: 20px 0; }
table.stats { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; margin-bottom: 8px; }
table.stats th, table.stats td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: right; }
table.stats th[scope="row"], table.stats thead th:first-child { text-align: left; font-weight: 500; }
table.stats thead th { color: var(--muted); font-weight: 600; }
td.warn { color: var(--warn); font-weight: 600; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.plot { min-width: 0; }
.uplot .u-title { font-size: 13px; font-weight: 600; }
.uplot .u-legend { font-size: 12px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 16px; }
`;

/** The page's script: one uPlot chart per plot spec, resized with the window. */
const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('poseloss-data').textContent);
  var palette = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf',
                 '#aec7e8','#ffbb78','#98df8a','#ff9896','#c5b0d5','#c49c94','#f7b6d2','#c7c7c7','#dbdb8d','#9edae5'];
  var charts = [];
  var frameSteps = [];
  for (var e = 0; e < 9; e++) [1, 2, 5].forEach(function (m) { frameSteps.push(m * Math.pow(10, e)); });
  var width = function (el) { return Math.max(300, Math.floor(el.getBoundingClientRect().width)); };
  data.plots.forEach(function (p) {
    var el = document.getElementById(p.id);
    var step = p.kind === 'hist' ? uPlot.paths.stepped({ align: 1 }) : undefined;
    var series = [{ label: p.xLabel }];
    var cols = [p.x];
    p.keypoints.forEach(function (k, i) {
      series.push({ label: k, stroke: palette[p.colors[i] % palette.length], width: 1.25, paths: step, points: { show: false } });
      cols.push(p.y[i]);
    });
    if (p.epsilon !== null) {
      series.push({ label: 'ε', stroke: '#555', dash: [6, 4], width: 1, points: { show: false } });
      cols.push(p.x.map(function () { return p.epsilon; }));
    }
    var opts = {
      title: p.title, width: width(el), height: 280,
      scales: { x: { time: false } },
      // frames are whole numbers: no 2.5 ticks on a time axis
      axes: [p.kind === 'time' ? { label: p.xLabel, incrs: frameSteps } : { label: p.xLabel }, { label: p.yLabel, size: 60 }],
      series: series,
      cursor: { drag: { x: true, y: false } }
    };
    charts.push({ chart: new uPlot(opts, cols, el), el: el });
  });
  var pending;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (c) { c.chart.setSize({ width: width(c.el), height: 280 }); });
    }, 100);
  });
  document.body.setAttribute('data-plots', String(charts.length));
})();
`;

/** JSON safe inside a <script> element. */
const scriptJson = (u: unknown): string => JSON.stringify(u).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/**
 * A single self-contained HTML page (uPlot's script and stylesheet inlined, the data embedded
 * as JSON): for every predictions file and metric, a table of per-keypoint statistics (exact,
 * on every frame) and two charts, the metric over time per keypoint (long series thinned to
 * bucket maxima) and its distribution.
 */
export function renderReport(input: ReportInput): string {
  const { js, css } = uplotAssets();
  const maxPoints = input.maxPoints ?? 2000;
  const plots: PlotSpec[] = [];
  const sections = input.files.map((f, i) => {
    const metrics = f.metrics
      .map((m) => {
        const id = `f${i}-${m.name}`;
        const ps = plotsOf(f, m, id, maxPoints);
        plots.push(...ps);
        const eps = m.epsilonSource ? `<p class="sub">ε: ${esc(m.epsilonSource)}</p>` : '';
        return `<h3>${esc(METRIC_FILES[m.name].title)} <span class="sub">(${esc(f.stem + METRIC_FILES[m.name].suffix)})</span></h3>${eps}${statsTable(f.keypoints, m.stats)}<div class="plots">${ps.map((p) => `<div class="plot" id="${p.id}"></div>`).join('')}</div>`;
      })
      .join('');
    return `<section class="file" id="f${i}"><h2>${esc(f.file)}</h2><p class="sub">${f.index.length} frames, ${f.keypoints.length} keypoints, ${f.kind === 'video' ? 'video predictions' : 'predictions of labeled frames'}</p>${metrics}</section>`;
  });
  const nav = input.files.map((f, i) => `<li><a href="#f${i}">${esc(f.file)}</a> <span class="sub">(${f.metrics.map((m) => m.name).join(', ')})</span></li>`).join('');
  const when = (input.generatedAt ?? new Date()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>poseloss metrics</title>
<link rel="icon" href="data:,">
<style>${css}</style>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>poseloss metrics</h1>
<p class="meta">config ${esc(input.config)}${input.labels ? ` · labels ${esc(input.labels)}` : ''} · ${esc(when)}</p>
<p class="meta">Pixels throughout. Tables: every frame with a value (NaN frames left out); “&gt; ε” is the fraction of those frames above the loss’s epsilon. Charts: drag to zoom, double-click to reset, click a legend entry to hide a keypoint.</p>
<nav><ul>${nav}</ul></nav>
</header>
<main>
${sections.join('\n')}
</main>
<footer>poseloss · charts by uPlot</footer>
<script type="application/json" id="poseloss-data">${scriptJson({ plots })}</script>
<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
