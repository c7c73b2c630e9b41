/** Small inline-SVG line charts for the demo report: no script, no dependency, readable offline. */

export interface Series {
  readonly name: string;
  readonly color: string;
  /** y values at x = 0, 1, 2, … (NaN leaves a gap). */
  readonly values: ArrayLike<number>;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
  readonly logY?: boolean;
  /** Shaded x ranges [start, end), e.g. frames with an occluder. */
  readonly bands?: readonly { start: number; end: number; color: string }[];
}

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const nice = (v: number): string => (Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toPrecision(3) : v.toPrecision(2));

export const lineChart = (series: readonly Series[], o: ChartOptions): string => {
  const [w, h] = [o.width ?? 560, o.height ?? 240];
  const m = { l: 56, r: 12, t: 26, b: 36 };
  const f = (v: number) => (o.logY ? (v > 0 ? Math.log10(v) : NaN) : v);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const ys = series.flatMap((s) => Array.from(s.values, f)).filter(Number.isFinite);
  let [lo, hi] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (!o.logY) lo = Math.min(lo, 0);
  if (hi - lo < 1e-12) hi = lo + 1;
  const X = (i: number) => m.l + ((w - m.l - m.r) * i) / Math.max(1, n - 1);
  const Y = (v: number) => m.t + (h - m.t - m.b) * (1 - (v - lo) / (hi - lo));
  const bands = (o.bands ?? []).map((b) => `<rect x="${X(b.start).toFixed(1)}" y="${m.t}" width="${Math.max(1, X(b.end) - X(b.start)).toFixed(1)}" height="${h - m.t - m.b}" fill="${b.color}"/>`);
  const paths = series.map((s) => {
    let d = '';
    let pen = false;
    for (let i = 0; i < s.values.length; i++) {
      const v = f(s.values[i]);
      if (!Number.isFinite(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${X(i).toFixed(1)},${Y(v).toFixed(1)}`;
      pen = true;
    }
    return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.4"/>`;
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((q) => {
    const v = lo + q * (hi - lo);
    const label = o.logY ? nice(10 ** v) : nice(v);
    return `<line x1="${m.l}" x2="${w - m.r}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="#eee"/><text x="${m.l - 4}" y="${(Y(v) + 3).toFixed(1)}" text-anchor="end">${label}</text>`;
  });
  const xticks = [0, 0.5, 1].map((q) => `<text x="${X(q * (n - 1)).toFixed(1)}" y="${h - m.b + 14}" text-anchor="middle">${Math.round(q * (n - 1))}</text>`);
  const legend = series.map((s, i) => `<text x="${m.l + 8 + i * 150}" y="${m.t + 12}" fill="${s.color}">━ ${esc(s.name)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="11">
<text x="${w / 2}" y="15" text-anchor="middle" font-weight="bold">${esc(o.title)}</text>
${bands.join('')}${ticks.join('')}<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${h - m.b}" stroke="#999"/>
${paths.join('\n')}
${xticks.join('')}<text x="${(m.l + w - m.r) / 2}" y="${h - 6}" text-anchor="middle">${esc(o.xLabel)}</text>
<text transform="translate(12,${(m.t + h - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}${o.logY ? ' (log)' : ''}</text>
${legend.join('')}
</svg>`;
};
