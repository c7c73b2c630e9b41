import type { Video } from './dataset.js';
import type { Event } from './nuisance.js';
import type { VideoMetrics } from './evaluate.js';
import type { StepRecord } from './train.js';
import { better, type Table } from './table.js';
import { worstPerFrame } from './evaluate.js';
import { greyPng } from './png.js';
import { esc, lineChart, type Series } from './svg.js';

/**
 * The demo's report.html: the table, loss curves per term, error over time on the held-out
 * video for both runs, and frames with both runs' keypoints drawn. Self-contained (inline SVG
 * and PNG data URIs), so it opens offline from the output folder.
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

const tableHtml = (t: Table): string => {
  const head = `<tr><th></th>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = t.sections
    .map(
      (s) =>
        `<tr><th colspan="${t.columns.length + 1}" class="sec">${esc(s.title)}</th></tr>` +
        s.rows
          .map((r) => {
            const b = better(r);
            const cells = r.cells.map((c, i) => `<td class="num${i === b ? ' best' : ''}">${c === undefined ? '' : Number.isFinite(c) ? c.toFixed(r.digits) : String(c)}</td>`);
            return `<tr><td>${esc(r.label)}</td>${cells.join('')}</tr>`;
          })
          .join(''),
    )
    .join('');
  return `<table>${head}${body}</table>`;
};

const lossCharts = (runs: readonly ReportRun[]): string => {
  const terms = [...new Set(runs.flatMap((r) => Object.keys(r.history[0]?.terms ?? {})))];
  const charts = terms.map((term) =>
    lineChart(
      runs.filter((r) => r.history.length && term in r.history[0].terms).map((r): Series => ({ name: r.label, color: r.color, values: smooth(r.history.map((h) => h.terms[term])) })),
      { title: `${term} (unweighted, smoothed)`, xLabel: 'step', yLabel: 'loss', logY: true },
    ),
  );
  charts.push(lineChart(runs.map((r) => ({ name: r.label, color: r.color, values: smooth(r.history.map((h) => h.total)) })), { title: 'total optimised loss (smoothed)', xLabel: 'step', yLabel: 'loss', logY: true }));
  charts.push(lineChart(runs.map((r) => ({ name: r.label, color: r.color, values: r.history.map((h) => h.anneal) })), { title: 'anneal weight of the unsupervised losses', xLabel: 'step', yLabel: 'weight' }));
  return charts.join('\n');
};

const bands = (events: readonly Event[]) =>
  events.map((e) => ({ start: e.start, end: e.end, color: e.nuisance.kind === 'occluder' ? 'rgba(0,0,0,0.08)' : 'rgba(230,180,0,0.15)' }));

/** Frames where the runs differ most (each way), and the frame where the first run is worst. */
const pickFrames = (runs: readonly ReportRun[], n: number): number[] => {
  const worst = runs.map((r) => worstPerFrame(r.metrics));
  const frames = worst[0].length;
  const diff = Array.from({ length: frames }, (_, f) => ({ f, d: worst[0][f] - (worst[1]?.[f] ?? 0) }));
  const picked = new Set<number>();
  const far = (f: number) => [...picked].every((p) => Math.abs(p - f) > 10);
  for (const d of [...diff].sort((a, b) => b.d - a.d)) if (picked.size < n - 1 && far(d.f)) picked.add(d.f);
  for (const d of [...diff].sort((a, b) => a.d - b.d)) if (picked.size < n && far(d.f)) picked.add(d.f);
  return [...picked].sort((a, b) => a - b);
};

const frameSvg = (input: ReportInput, f: number): string => {
  const { test } = input;
  const s = test.size;
  const scale = 4;
  const png = greyPng(test.pixels.subarray(f * s * s, (f + 1) * s * s), s, s).toString('base64');
  const K = input.keypointNames.length;
  const marks = (kp: ArrayLike<number>, color: string, shape: 'circle' | 'cross') =>
    Array.from({ length: K }, (_, k) => {
      const [x, y] = [kp[(f * K + k) * 2] * scale, kp[(f * K + k) * 2 + 1] * scale];
      return shape === 'circle'
        ? `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="none" stroke="${color}" stroke-width="1.5"><title>${esc(input.keypointNames[k])}</title></circle>`
        : `<path d="M${x - 4},${y - 4}L${x + 4},${y + 4}M${x - 4},${y + 4}L${x + 4},${y - 4}" stroke="${color}" stroke-width="1.5"/>`;
    }).join('');
  const errs = input.runs.map((r) => `${esc(r.label)}: worst ${worstPerFrame(r.metrics)[f].toFixed(1)} px`).join(' · ');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${s * scale}" height="${s * scale}">
<image href="data:image/png;base64,${png}" width="${s * scale}" height="${s * scale}" style="image-rendering:pixelated"/>
${marks(test.keypoints, '#2a2', 'circle')}${input.runs.map((r) => marks(r.keypoints, r.color, 'cross')).join('')}
</svg><figcaption>frame ${f} — ${errs}</figcaption></figure>`;
};

export const reportHtml = (input: ReportInput): string => {
  const perFrame = input.runs.map((r): Series => {
    const K = r.metrics.keypoints;
    return { name: r.label, color: r.color, values: Array.from({ length: r.metrics.frames }, (_, f) => r.metrics.pixelError.subarray(f * K, (f + 1) * K).reduce((a, b) => a + b, 0) / K) };
  });
  const legend = `<p class="legend">Frames: <span style="color:#2a2">○ true keypoints</span> ${input.runs.map((r) => `<span style="color:${r.color}">× ${esc(r.label)}</span>`).join(' ')}. Error plot: grey bands = occluder, yellow = distractor.</p>`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body{font-family:sans-serif;max-width:1180px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{padding:3px 10px;border-bottom:1px solid #eee}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.best{font-weight:bold}th.sec{text-align:left;background:#f6f6f6}
.charts{display:flex;flex-wrap:wrap;gap:8px}figure{display:inline-block;margin:6px}figcaption{font-size:12px;max-width:256px}
pre{background:#f6f6f6;padding:8px}.legend{font-size:13px}
</style></head><body>
<h1>${esc(input.title)}</h1>
<pre>${input.meta.map(esc).join('\n')}</pre>
<h2>Results</h2>
${tableHtml(input.table)}
<h2>Loss curves</h2>
<div class="charts">${lossCharts(input.runs)}</div>
<h2>Error over time on the held-out video</h2>
${lineChart(perFrame, { title: 'mean keypoint error per frame', xLabel: 'frame', yLabel: 'pixels', width: 1100, height: 260, bands: bands(input.test.events) })}
<h2>Frames where the runs differ most</h2>
${legend}
<div>${pickFrames(input.runs, 4).map((f) => frameSvg(input, f)).join('\n')}</div>
</body></html>
`;
};
