import { uplotAssets } from './assets.js';

/**
 * The report machinery shared by `poseloss metrics` and `poseloss demo`: a small page model
 * (a title, notes, sections of headings, text, tables, charts and images) and one function
 * that renders it into a single self-contained HTML page: uPlot's script and stylesheet
 * inlined, the chart data embedded as JSON, images as data URLs, so it opens offline.
 */

/** A chart series' colour: a CSS colour, or an index into the page's palette (the same index, the same colour in every chart). */
export type Colour = string | number;

export interface Series {
  readonly name: string;
  readonly color: Colour;
  /** One value per x (null or a non-finite value: a gap; on a log axis also values ≤ 0). */
  readonly values: ArrayLike<number | null>;
}

interface ChartBase {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Pixels (default 280). */
  readonly height?: number;
  /** Span the whole width of the section rather than one cell of the chart grid. */
  readonly wide?: boolean;
}

/** Several named series over a shared x. */
export interface TimeChart extends ChartBase {
  readonly kind: 'time';
  readonly x: ArrayLike<number>;
  /** A dashed horizontal line, listed in the legend as `label`. */
  readonly threshold?: { readonly value: number; readonly label: string } | null;
  /** Logarithmic y axis (loss curves). */
  readonly logY?: boolean;
  /** x is a whole number (frames, steps): no ticks between them. */
  readonly integerX?: boolean;
  /** Shaded x ranges [start, end), e.g. frames with an occluder. */
  readonly bands?: readonly { readonly start: number; readonly end: number; readonly color: string }[];
}

/** Step histograms on shared bins: `edges` (bins + 1), each series one value per bin. */
export interface HistogramChart extends ChartBase {
  readonly kind: 'hist';
  readonly edges: ArrayLike<number>;
}

export type Chart = TimeChart | HistogramChart;

/** Inline text: plain, or a coloured / muted run. */
export type Inline = string | { readonly text: string; readonly color?: string; readonly muted?: boolean };

/** A table cell: text, or text with a tone (`warn`: highlighted; `best`: bold). */
export type Cell = string | { readonly text: string; readonly tone?: 'warn' | 'best' };

export interface TableRow {
  readonly label: string;
  readonly cells: readonly Cell[];
  /** Indented label (a row qualifying the one above). */
  readonly indent?: boolean;
}

export interface Table {
  readonly kind: 'table';
  /** Header cells; the first heads the label column. */
  readonly columns: readonly string[];
  /** Rows, and section rows spanning the table. */
  readonly rows: readonly (TableRow | { readonly section: string })[];
}

/** A point drawn over an image, in the image's pixels ((0, 0) the top-left corner of the top-left pixel). */
export interface Mark {
  readonly x: number;
  readonly y: number;
  readonly color: string;
  readonly shape: 'circle' | 'cross';
  /** Shown on hover. */
  readonly label?: string;
}

export interface Image {
  /** A data URL (`data:image/png;base64,…`): the page stays self-contained. */
  readonly src: string;
  /** The image's size in pixels. */
  readonly width: number;
  readonly height: number;
  /** Screen pixels per image pixel (default 1); scaled without smoothing. */
  readonly scale?: number;
  readonly caption: string;
  readonly alt?: string;
  readonly marks?: readonly Mark[];
}

export type Block =
  | { readonly kind: 'heading'; readonly text: string; readonly sub?: string }
  | { readonly kind: 'text'; readonly parts: readonly Inline[]; readonly muted?: boolean }
  | Table
  | { readonly kind: 'charts'; readonly charts: readonly Chart[] }
  | { readonly kind: 'images'; readonly images: readonly Image[] };

export interface Section {
  readonly title: string;
  /** A muted line under the title. */
  readonly sub?: string;
  /** A muted note after the section's link in the page's navigation. */
  readonly navNote?: string;
  readonly blocks: readonly Block[];
}

export interface Page {
  readonly title: string;
  /** Muted lines under the title (what was run, when, how to read the page). */
  readonly notes?: readonly string[];
  /** A list of links to the sections under the notes. */
  readonly nav?: boolean;
  readonly sections: readonly Section[];
  readonly footer?: string;
}

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Numbers in a page: 4 significant digits, NaN as an en dash. */
export const fmt = (v: number | null): string => {
  if (v === null || Number.isNaN(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
};

/** A chart value for the page's data: 6 significant digits, null for a gap. */
const point = (v: number | null, log: boolean): number | null => (v === null || !Number.isFinite(v) || (log && v <= 0) ? null : Number(v.toPrecision(6)));

/** One chart, as data for the page's script. */
interface ChartData {
  id: string;
  kind: 'time' | 'hist';
  title: string;
  xLabel: string;
  yLabel: string;
  height: number;
  x: (number | null)[];
  series: { name: string; color: Colour; y: (number | null)[] }[];
  threshold: { value: number; label: string } | null;
  logY: boolean;
  integerX: boolean;
  bands: { start: number; end: number; color: string }[];
}

const chartData = (c: Chart, id: string): ChartData => {
  const log = c.kind === 'time' && !!c.logY;
  const base = { id, kind: c.kind, title: c.title, xLabel: c.xLabel, yLabel: c.yLabel, height: c.height ?? 280 };
  if (c.kind === 'hist') {
    return {
      ...base,
      x: Array.from(c.edges, (e) => point(e, false)),
      // one value per edge for a step drawn from each left edge; the last repeats the last bin
      series: c.series.map((s) => {
        const y = Array.from(s.values, (v) => point(v, false));
        return { name: s.name, color: s.color, y: [...y, y[y.length - 1] ?? null] };
      }),
      threshold: null,
      logY: false,
      integerX: false,
      bands: [],
    };
  }
  return {
    ...base,
    x: Array.from(c.x, (v) => point(v, false)),
    series: c.series.map((s) => ({ name: s.name, color: s.color, y: Array.from(s.values, (v) => point(v, log)) })),
    threshold: c.threshold && Number.isFinite(c.threshold.value) ? { value: c.threshold.value, label: c.threshold.label } : null,
    logY: log,
    integerX: !!c.integerX,
    bands: (c.bands ?? []).map((b) => ({ start: b.start, end: b.end, color: b.color })),
  };
};

const inline = (p: Inline): string =>
  typeof p === 'string' ? esc(p) : `<span${p.muted ? ' class="sub"' : ''}${p.color ? ` style="color:${esc(p.color)}"` : ''}>${esc(p.text)}</span>`;

const cellHtml = (c: Cell): string => (typeof c === 'string' ? `<td>${esc(c)}</td>` : `<td${c.tone ? ` class="${c.tone}"` : ''}>${esc(c.text)}</td>`);

const tableHtml = (t: Table): string => {
  const span = t.columns.length;
  const rows = t.rows
    .map((r) =>
      'section' in r
        ? `<tr class="section"><th colspan="${span}" scope="rowgroup">${esc(r.section)}</th></tr>`
        : `<tr><th scope="row"${r.indent ? ' class="indent"' : ''}>${esc(r.label)}</th>${r.cells.map(cellHtml).join('')}</tr>`,
    )
    .join('');
  return `<table class="stats"><thead><tr>${t.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`;
};

/** Marker size on screen, pixels. */
const MARK = 4;

const imageHtml = (im: Image): string => {
  if (!/^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]*$/.test(im.src))
    throw new Error(`report image "${im.caption}": not a base64 image data URL (the page must stay self-contained)`);
  const scale = im.scale ?? 1;
  const [w, h] = [Math.round(im.width * scale), Math.round(im.height * scale)];
  const r = MARK / scale;
  const n = (v: number) => String(Number(v.toFixed(3)));
  const marks = (im.marks ?? [])
    .filter((m) => Number.isFinite(m.x) && Number.isFinite(m.y))
    .map((m) => {
      const title = m.label ? `<title>${esc(m.label)}</title>` : '';
      const stroke = `stroke="${esc(m.color)}" stroke-width="1.5" vector-effect="non-scaling-stroke"`;
      return m.shape === 'circle'
        ? `<circle cx="${n(m.x)}" cy="${n(m.y)}" r="${n(r)}" fill="none" ${stroke}>${title}</circle>`
        : `<path d="M${n(m.x - r)},${n(m.y - r)}L${n(m.x + r)},${n(m.y + r)}M${n(m.x - r)},${n(m.y + r)}L${n(m.x + r)},${n(m.y - r)}" ${stroke}>${title}</path>`;
    })
    .join('');
  const overlay = marks ? `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${im.width} ${im.height}" aria-hidden="true">${marks}</svg>` : '';
  return (
    `<figure class="image"><div class="pic" style="width:${w}px;height:${h}px"><img src="${im.src}" width="${w}" height="${h}" alt="${esc(im.alt ?? im.caption)}">${overlay}</div>` +
    `<figcaption>${esc(im.caption)}</figcaption></figure>`
  );
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
section.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; margin: 20px 0; }
table.stats { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; margin-bottom: 8px; }
table.stats th, table.stats td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: right; }
table.stats th[scope="row"], table.stats thead th:first-child { text-align: left; font-weight: 500; }
table.stats th.indent { padding-left: 26px; }
table.stats thead th { color: var(--muted); font-weight: 600; }
table.stats tr.section th { text-align: left; font-weight: 600; background: #f1f3f6; padding-top: 6px; }
td.warn { color: var(--warn); font-weight: 600; }
td.best { font-weight: 700; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; margin: 8px 0; }
.plot { min-width: 0; }
.plot.wide { grid-column: 1 / -1; }
.uplot .u-title { font-size: 13px; font-weight: 600; }
.uplot .u-legend { font-size: 12px; }
.images { display: flex; flex-wrap: wrap; gap: 12px; }
figure.image { margin: 0; }
figure.image .pic { position: relative; }
figure.image img { display: block; image-rendering: pixelated; }
figure.image svg { position: absolute; inset: 0; width: 100%; height: 100%; overflow: visible; }
figure.image figcaption { color: var(--muted); font-size: 12px; max-width: 260px; margin-top: 4px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 16px; }
`;

/** The page's script: one uPlot chart per chart spec, resized with the window. (No words NaN or "undefined" in it: see inlineScript.) */
const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('poseloss-data').textContent);
  var palette = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf',
                 '#aec7e8','#ffbb78','#98df8a','#ff9896','#c5b0d5','#c49c94','#f7b6d2','#c7c7c7','#dbdb8d','#9edae5'];
  var charts = [];
  var wholeSteps = [];
  for (var e = 0; e < 9; e++) [1, 2, 5].forEach(function (m) { wholeSteps.push(m * Math.pow(10, e)); });
  var width = function (el) { return Math.max(300, Math.floor(el.getBoundingClientRect().width)); };
  var colour = function (c) { return typeof c === 'number' ? palette[c % palette.length] : c; };
  data.charts.forEach(function (p) {
    var el = document.getElementById(p.id);
    var step = p.kind === 'hist' ? uPlot.paths.stepped({ align: 1 }) : null;
    var series = [{ label: p.xLabel }];
    var cols = [p.x];
    p.series.forEach(function (s) {
      var o = { label: s.name, stroke: colour(s.color), width: 1.25, points: { show: false } };
      if (step) o.paths = step;
      series.push(o);
      cols.push(s.y);
    });
    if (p.threshold !== null) {
      series.push({ label: p.threshold.label, stroke: '#555', dash: [6, 4], width: 1, points: { show: false } });
      cols.push(p.x.map(function () { return p.threshold.value; }));
    }
    var hooks = {};
    if (p.bands.length) hooks.drawClear = [function (u) {
      var ctx = u.ctx, b = u.bbox;
      ctx.save();
      ctx.beginPath();
      ctx.rect(b.left, b.top, b.width, b.height);
      ctx.clip();
      p.bands.forEach(function (band) {
        var x0 = u.valToPos(band.start, 'x', true), x1 = u.valToPos(band.end, 'x', true);
        ctx.fillStyle = band.color;
        ctx.fillRect(x0, b.top, Math.max(1, x1 - x0), b.height);
      });
      ctx.restore();
    }];
    var opts = {
      title: p.title, width: width(el), height: p.height,
      scales: { x: { time: false }, y: p.logY ? { distr: 3, log: 10 } : {} },
      axes: [p.integerX ? { label: p.xLabel, incrs: wholeSteps } : { label: p.xLabel }, { label: p.yLabel, size: 60 }],
      series: series,
      hooks: hooks,
      cursor: { drag: { x: true, y: false } }
    };
    charts.push({ chart: new uPlot(opts, cols, el), el: el, height: p.height });
  });
  var pending;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (c) { c.chart.setSize({ width: width(c.el), height: c.height }); });
    }, 100);
  });
  document.body.setAttribute('data-plots', String(charts.length));
})();
`;

/** JSON safe inside a <script> element. */
const scriptJson = (u: unknown): string =>
  JSON.stringify(u)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/**
 * A script's text safe inside a <script> element. The string literal "undefined" (uPlot
 * feature tests) is spelled with an escape, so that the words a leaked value would print,
 * NaN and undefined, appear nowhere in a page unless a value leaked: a simple check for tests.
 */
const inlineScript = (js: string): string => js.replace(/<\/script/gi, '<\\/script').replace(/(["'])undefined\1/g, '$1\\x75ndefined$1');

/** The single self-contained HTML page of `page`. */
export function renderPage(page: Page): string {
  const { js, css } = uplotAssets();
  const charts: ChartData[] = [];
  const block = (b: Block): string => {
    switch (b.kind) {
      case 'heading':
        return `<h3>${esc(b.text)}${b.sub ? ` <span class="sub">${esc(b.sub)}</span>` : ''}</h3>`;
      case 'text':
        return `<p${b.muted ? ' class="sub"' : ''}>${b.parts.map(inline).join('')}</p>`;
      case 'table':
        return tableHtml(b);
      case 'charts':
        return `<div class="plots">${b.charts
          .map((c) => {
            const d = chartData(c, `chart${charts.length}`);
            charts.push(d);
            return `<div class="plot${c.wide ? ' wide' : ''}" id="${d.id}"></div>`;
          })
          .join('')}</div>`;
      case 'images':
        return `<div class="images">${b.images.map(imageHtml).join('')}</div>`;
    }
  };
  const sections = page.sections.map(
    (s, i) =>
      `<section class="card" id="s${i}"><h2>${esc(s.title)}</h2>${s.sub ? `<p class="sub">${esc(s.sub)}</p>` : ''}${s.blocks.map(block).join('\n')}</section>`,
  );
  const nav = page.nav
    ? `<nav><ul>${page.sections.map((s, i) => `<li><a href="#s${i}">${esc(s.title)}</a>${s.navNote ? ` <span class="sub">(${esc(s.navNote)})</span>` : ''}</li>`).join('')}</ul></nav>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(page.title)}</title>
<link rel="icon" href="data:,">
<style>${css}</style>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(page.title)}</h1>
${(page.notes ?? []).map((n) => `<p class="meta">${esc(n)}</p>`).join('\n')}
${nav}
</header>
<main>
${sections.join('\n')}
</main>
<footer>${esc(page.footer ?? 'poseloss · charts by uPlot')}</footer>
<script type="application/json" id="poseloss-data">${scriptJson({ charts })}</script>
<script>${inlineScript(js)}</script>
<script>${inlineScript(SCRIPT)}</script>
</body>
</html>
`;
}
