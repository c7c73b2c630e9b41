import { type Chart, type Image, type Mark, type Page, type Table as PageTable, renderPage, type TimeChart } from '../report/page.js';
import type { Video } from './dataset.js';
import type { VideoMetrics } from './evaluate.js';
import { worstPerFrame } from './evaluate.js';
import type { Event } from './nuisance.js';
import { greyPng } from './png.js';
import { better, type Table } from './table.js';
import type { StepRecord } from './train.js';

/**
 * The demo's report.html, built with the report machinery of `poseloss metrics` (one
 * self-contained page, uPlot charts inlined): the side-by-side table, loss curves per term,
 * error over time on the held-out video for both runs, and frames with both runs' keypoints
 * drawn over them.
 */

export interface ReportRun {
  readonly label: string;
  readonly color: string;
  readonly history: readonly StepRecord[];
  /** Predicted keypoints on the held-out video, frames × 2K. */
  readonly keypoints: ArrayLike<number>;
  readonly metrics: VideoMetrics;
}

export interface ReportInput {
  readonly title: string;
  /** Lines describing the run (backend, seed, steps, data, timings). */
  readonly meta: readonly string[];
  readonly table: Table;
  readonly runs: readonly ReportRun[];
  readonly test: Video;
  readonly keypointNames: readonly string[];
}

/** Exponential moving average, for readable loss curves. */
export const smooth = (v: ArrayLike<number>, alpha = 0.05): number[] => {
  const out: number[] = [];
  let s = NaN;
  for (let i = 0; i < v.length; i++) {
    s = Number.isFinite(s) ? s + alpha * (v[i] - s) : v[i];
    out.push(s);
  }
  return out;
};

const TRUTH = '#2a2';
const BANDS = { occluder: 'rgba(0,0,0,0.08)', distractor: 'rgba(230,180,0,0.18)' } as const;

const cellText = (c: number | undefined, digits: number): string => (c === undefined ? '' : Number.isFinite(c) ? c.toFixed(digits) : '–');

/** The demo's table (the one `poseloss demo` prints); the better run's cell in bold. */
const pageTable = (t: Table): PageTable => ({
  kind: 'table',
  columns: ['', ...t.columns],
  rows: t.sections.flatMap((s) => [
    { section: s.title },
    ...s.rows.map((r) => {
      const b = better(r);
      return {
        label: r.label.trim(),
        indent: r.label !== r.label.trimStart(),
        cells: r.cells.map((c, i) => ({ text: cellText(c, r.digits), tone: i === b ? ('best' as const) : undefined })),
      };
    }),
  ]),
});

const steps = (r: ReportRun): number[] => r.history.map((h) => h.step);

/** x and one series per run, on the union of the runs' steps (a run without a step there: a gap). */
const stepChart = (runs: readonly ReportRun[], get: (h: StepRecord) => number | undefined, c: Omit<TimeChart, 'kind' | 'x' | 'series'>): TimeChart => {
  const x = [...new Set(runs.flatMap(steps))].sort((a, b) => a - b);
  return {
    kind: 'time',
    x,
    integerX: true,
    series: runs.map((r) => {
      const at = new Map(r.history.map((h, i) => [h.step, i]));
      const sm = smooth(r.history.map((h) => get(h) ?? NaN));
      return { name: r.label, color: r.color, values: x.map((s) => (at.has(s) ? sm[at.get(s)!] : null)) };
    }),
    ...c,
  };
};

const lossCharts = (runs: readonly ReportRun[]): Chart[] => {
  const terms = [...new Set(runs.flatMap((r) => Object.keys(r.history[0]?.terms ?? {})))];
  const charts: Chart[] = terms.map((term) =>
    stepChart(
      runs.filter((r) => r.history.length && term in r.history[0].terms),
      (h) => h.terms[term],
      { title: `${term} (unweighted, smoothed)`, xLabel: 'step', yLabel: 'loss (log)', logY: true },
    ),
  );
  charts.push(stepChart(runs, (h) => h.total, { title: 'total optimised loss (smoothed)', xLabel: 'step', yLabel: 'loss (log)', logY: true }));
  // the anneal weight is a schedule: drawn as is (smoothing would lag it)
  const x = [...new Set(runs.flatMap(steps))].sort((a, b) => a - b);
  charts.push({
    kind: 'time',
    title: 'anneal weight of the unsupervised losses',
    xLabel: 'step',
    yLabel: 'weight',
    integerX: true,
    x,
    series: runs.map((r) => {
      const at = new Map(r.history.map((h) => [h.step, h.anneal]));
      return { name: r.label, color: r.color, values: x.map((s) => at.get(s) ?? null) };
    }),
  });
  return charts;
};

const bands = (events: readonly Event[]) => events.map((e) => ({ start: e.start, end: e.end, color: BANDS[e.nuisance.kind] }));

/** Frames where the runs differ most (each way), and the frame where the first run is worst. */
const pickFrames = (runs: readonly ReportRun[], n: number): number[] => {
  const worst = runs.map((r) => worstPerFrame(r.metrics));
  const frames = worst[0]?.length ?? 0;
  const diff = Array.from({ length: frames }, (_, f) => ({ f, d: worst[0][f] - (worst[1]?.[f] ?? 0) }));
  const picked = new Set<number>();
  const far = (f: number) => [...picked].every((p) => Math.abs(p - f) > 10);
  for (const d of [...diff].sort((a, b) => b.d - a.d)) if (picked.size < n - 1 && far(d.f)) picked.add(d.f);
  for (const d of [...diff].sort((a, b) => a.d - b.d)) if (picked.size < n && far(d.f)) picked.add(d.f);
  return [...picked].sort((a, b) => a - b);
};

/** Frame f of the held-out video, with the true keypoints (circles) and each run's (crosses). */
const frameImage = (input: ReportInput, f: number): Image => {
  const { test } = input;
  const s = test.size;
  const png = greyPng(test.pixels.subarray(f * s * s, (f + 1) * s * s), s, s).toString('base64');
  const K = input.keypointNames.length;
  // the frames' pixel (i, j) is centred on (x, y) = (j, i); an image's pixel spans [j, j + 1)
  const marks = (kp: ArrayLike<number>, color: string, shape: Mark['shape'], who: string): Mark[] =>
    Array.from({ length: K }, (_, k) => ({
      x: kp[(f * K + k) * 2] + 0.5,
      y: kp[(f * K + k) * 2 + 1] + 0.5,
      color,
      shape,
      label: `${input.keypointNames[k]} (${who})`,
    }));
  const errs = input.runs.map((r) => `${r.label}: worst ${worstPerFrame(r.metrics)[f].toFixed(1)} px`).join(' · ');
  return {
    src: `data:image/png;base64,${png}`,
    width: s,
    height: s,
    scale: 4,
    caption: `frame ${f} — ${errs}`,
    alt: `held-out frame ${f} with the true and predicted keypoints`,
    marks: [...marks(test.keypoints, TRUTH, 'circle', 'truth'), ...input.runs.flatMap((r) => marks(r.keypoints, r.color, 'cross', r.label))],
  };
};

/** The demo's page. */
export const reportPage = (input: ReportInput): Page => {
  const frames = input.runs[0]?.metrics.frames ?? 0;
  const meanError = input.runs.map((r) => {
    const K = r.metrics.keypoints;
    return {
      name: r.label,
      color: r.color,
      values: Array.from({ length: r.metrics.frames }, (_, f) => r.metrics.pixelError.subarray(f * K, (f + 1) * K).reduce((a, b) => a + b, 0) / K),
    };
  });
  const picked = pickFrames(input.runs, 4);
  return {
    title: input.title,
    notes: [...input.meta, 'Charts: drag to zoom, double-click to reset, click a legend entry to hide a run.'],
    sections: [
      { title: 'Results', sub: 'bold: the better of the two runs (temporal norm: the one closer to the truth)', blocks: [pageTable(input.table)] },
      { title: 'Loss curves', blocks: [{ kind: 'charts', charts: lossCharts(input.runs) }] },
      {
        title: 'Error over time on the held-out video',
        blocks: [
          {
            kind: 'text',
            muted: true,
            parts: ['Shaded: ', { text: 'grey', muted: true }, ' bands = occluder, ', { text: 'yellow', color: '#b7791f' }, ' = distractor.'],
          },
          {
            kind: 'charts',
            charts: [
              {
                kind: 'time',
                title: 'mean keypoint error per frame',
                xLabel: 'frame',
                yLabel: 'pixels',
                integerX: true,
                wide: true,
                x: Array.from({ length: frames }, (_, f) => f),
                series: meanError,
                bands: bands(input.test.events),
              },
            ],
          },
        ],
      },
      {
        title: 'Frames where the runs differ most',
        blocks: [
          {
            kind: 'text',
            parts: [
              'Frames: ',
              { text: '○ true keypoints', color: TRUTH },
              ...input.runs.flatMap((r) => [' ', { text: `× ${r.label}`, color: r.color }]),
              '. Hover a mark for its keypoint.',
            ],
          },
          { kind: 'images', images: picked.map((f) => frameImage(input, f)) },
        ],
      },
    ],
    footer: 'poseloss demo · charts by uPlot',
  };
};

/** The demo's report.html: a single self-contained page. */
export const reportHtml = (input: ReportInput): string => renderPage(reportPage(input));
