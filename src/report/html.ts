import { type FileMetrics, METRIC_FILES, type MetricResult } from '../metrics/files.js';
import type { KeypointStats } from '../metrics/stats.js';
import { thinByMax } from './downsample.js';
import { histograms } from './histogram.js';
import { type Block, type Chart, fmt, type Page, renderPage, type Section, type Table } from './page.js';

export { fmt } from './page.js';

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

const pct = (f: number | null): string => (f === null ? '–' : `${(100 * f).toFixed(f > 0 && f < 0.001 ? 3 : 1)}%`);

const statsBlocks = (keypoints: readonly string[], stats: readonly KeypointStats[]): Block[] => {
  const unused = keypoints.filter((_, k) => stats[k].frames === 0);
  const table: Table = {
    kind: 'table',
    columns: ['keypoint', 'frames', 'median', '95th pct', 'max', 'ε', '> ε'],
    rows: stats
      .map((s, k) => [s, k] as const)
      .filter(([s]) => s.frames > 0)
      .map(([s, k]) => ({
        label: keypoints[k],
        cells: [
          String(s.frames),
          fmt(s.median),
          fmt(s.p95),
          fmt(s.max),
          fmt(s.epsilon),
          { text: pct(s.overEpsilon), tone: s.overEpsilon !== null && s.overEpsilon > 0.05 ? 'warn' : undefined },
        ],
      })),
  };
  return unused.length
    ? [table, { kind: 'text', muted: true, parts: [`no value (not used by this metric, or NaN in every frame): ${unused.join(', ')}`] }]
    : [table];
};

/** The keypoints with at least one value (a PCA metric leaves the keypoints it does not use empty). */
const shown = (m: MetricResult): number[] => m.stats.flatMap((s, k) => (s.frames > 0 ? [k] : []));

/** The columns `cols` of a (rows × K) table. */
const columns = (values: ArrayLike<number>, rows: number, k: number, cols: readonly number[]): Float32Array => {
  const out = new Float32Array(rows * cols.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols.length; j++) out[r * cols.length + j] = values[r * k + cols[j]];
  return out;
};

/** A metric's two charts: over time per keypoint (thinned to bucket maxima) and its distribution; each keypoint keeps its file-wide colour. */
const chartsOf = (f: FileMetrics, m: MetricResult, maxPoints: number): Chart[] => {
  const rows = f.index.length;
  const keep = shown(m);
  const cols = keep.length;
  const values = cols === f.keypoints.length ? m.values : columns(m.values, rows, f.keypoints.length, keep);
  const thin = thinByMax(values, rows, cols, maxPoints);
  const hist = histograms(values, rows, cols);
  const eps = typeof m.epsilon === 'number' ? m.epsilon : null;
  return [
    {
      kind: 'time',
      title: thin.bucket > 1 ? `over time (each point: max of ${thin.bucket} frames)` : 'over time',
      xLabel: f.kind === 'video' ? 'frame' : 'labeled frame (row)',
      yLabel: 'px',
      integerX: true,
      x: thin.x,
      series: keep.map((k, j) => ({ name: f.keypoints[k], color: k, values: thin.y[j] })),
      threshold: eps === null ? null : { value: eps, label: 'ε' },
    },
    {
      kind: 'hist',
      title: `distribution (fraction of frames per ${fmt(hist.edges[1])} px bin${hist.clipped ? `; the last bin holds everything ≥ ${fmt(hist.edges[hist.edges.length - 2])} px` : ''})`,
      xLabel: 'px',
      yLabel: 'fraction of frames',
      edges: hist.edges,
      series: keep.map((k, j) => ({ name: f.keypoints[k], color: k, values: hist.y[j] })),
    },
  ];
};

/**
 * The `poseloss metrics` page: for every predictions file and metric, a table of per-keypoint
 * statistics (exact, on every frame) and two charts, the metric over time per keypoint (long
 * series thinned to bucket maxima) and its distribution.
 */
export function metricsPage(input: ReportInput): Page {
  const maxPoints = input.maxPoints ?? 2000;
  const sections = input.files.map(
    (f): Section => ({
      title: f.file,
      sub: `${f.index.length} frames, ${f.keypoints.length} keypoints, ${f.kind === 'video' ? 'video predictions' : 'predictions of labeled frames'}`,
      navNote: f.metrics.map((m) => m.name).join(', '),
      blocks: f.metrics.flatMap((m): Block[] => [
        { kind: 'heading', text: METRIC_FILES[m.name].title, sub: `(${f.stem + METRIC_FILES[m.name].suffix})` },
        ...(m.epsilonSource ? [{ kind: 'text', muted: true, parts: [`ε: ${m.epsilonSource}`] } as const] : []),
        ...statsBlocks(f.keypoints, m.stats),
        { kind: 'charts', charts: chartsOf(f, m, maxPoints) },
      ]),
    }),
  );
  const when = (input.generatedAt ?? new Date())
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  return {
    title: 'poseloss metrics',
    notes: [
      `config ${input.config}${input.labels ? ` · labels ${input.labels}` : ''} · ${when}`,
      'Pixels throughout. Tables: every frame with a value (NaN frames left out); “> ε” is the fraction of those frames above the loss’s epsilon. Charts: drag to zoom, double-click to reset, click a legend entry to hide a keypoint.',
    ],
    nav: true,
    sections,
  };
}

/** The `poseloss metrics` report.html: a single self-contained page (see renderPage). */
export function renderReport(input: ReportInput): string {
  return renderPage(metricsPage(input));
}
