import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VideoMetrics } from '../../src/demo/evaluate.js';
import { type ReportInput, type ReportRun, reportHtml } from '../../src/demo/report.js';
import type { Table } from '../../src/demo/table.js';
import type { StepRecord } from '../../src/demo/train.js';
import { hasChromium, launchChromium, openReportPage, warnIfNoChromium } from '../chromium.js';

/** The demo's report.html from small fake run results (no training), checked as text and in headless Chromium. */

warnIfNoChromium('demo report');

const NAMES = ['nose', 'ear', 'paw', 'tail'];
const K = NAMES.length;
const SIZE = 16;
const FRAMES = 60;
const STEPS = 30;

/** Smooth true keypoints, frames × 2K. */
const truth = Float64Array.from({ length: FRAMES * K * 2 }, (_, i) => {
  const [f, c] = [Math.floor(i / (2 * K)), i % (2 * K)];
  return 4 + c + 2 * Math.sin(f / 9 + c);
});

const run = (label: string, color: string, noise: number, terms: readonly string[]): ReportRun => {
  const keypoints = truth.map((v, i) => v + noise * Math.sin(i * 1.7));
  const pixelError = Float64Array.from({ length: FRAMES * K }, (_, i) => Math.hypot(keypoints[2 * i] - truth[2 * i], keypoints[2 * i + 1] - truth[2 * i + 1]));
  const metrics: VideoMetrics = {
    frames: FRAMES,
    keypoints: K,
    pixelError,
    temporalNorm: new Float64Array(FRAMES * K).fill(0.1),
    pcaError: new Float64Array(FRAMES * K).fill(0.2),
  };
  const history: StepRecord[] = Array.from({ length: STEPS }, (_, step) => ({
    step,
    anneal: Math.min(1, step / 10),
    // temporal is 0 at first, as an epsilon-insensitive loss often is: a gap on the log axis
    terms: Object.fromEntries(terms.map((t, j) => [t, t === 'temporal' && step < 5 ? 0 : (j + 1) * Math.exp(-step / 20)])),
    total: 2 * Math.exp(-step / 20),
    tensors: 10,
  }));
  return { label, color, history, keypoints, metrics };
};

const table: Table = {
  columns: ['supervised', 'semi-supervised', 'truth'],
  sections: [
    {
      title: 'held-out video',
      rows: [
        { label: 'pixel error, mean (px)', cells: [1.5, 0.9, undefined], digits: 2, compare: 'lower' },
        { label: '  same, frames with occluder/distractor (%)', cells: [40, NaN, undefined], digits: 1, compare: 'lower' },
        { label: 'temporal norm, mean (px/frame)', cells: [0.3, 0.2, 0.25], digits: 3, compare: 'truth' },
      ],
    },
  ],
};

const input: ReportInput = {
  title: 'poseloss demo: fake results',
  meta: ['backend cpu, seed 1, 30 steps per run'],
  table,
  runs: [run('supervised', '#d33', 1.5, ['heatmap_mse']), run('semi-supervised', '#33d', 0.5, ['heatmap_mse', 'temporal', 'pca_singleview'])],
  test: {
    frames: FRAMES,
    size: SIZE,
    pixels: Float32Array.from({ length: FRAMES * SIZE * SIZE }, (_, i) => (i % 7) / 7),
    keypoints: truth,
    events: [
      { start: 10, end: 20, nuisance: { kind: 'occluder', x: () => 3, width: 2, intensity: 0 } },
      { start: 35, end: 45, nuisance: { kind: 'distractor', at: () => [8, 8], radius: 1, intensity: 1 } },
    ],
  },
  keypointNames: NAMES,
};

/** Loss charts: 3 terms + total + anneal; then the error over time. */
const CHARTS = 5 + 1;

let html: string;
let file: string;
let browser: Browser | undefined;

beforeAll(() => {
  html = reportHtml(input);
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-demo-report-')), 'report.html');
  fs.writeFileSync(file, html);
});

afterAll(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

describe('demo report.html', () => {
  it('is one self-contained page with the machinery of `poseloss metrics`: inlined uPlot, chart data, frames as PNG data URLs', () => {
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href="(?!data:)/i);
    expect(html).not.toMatch(/url\((?!data:)/i);
    expect(html).toContain('id="poseloss-data"');
    expect(html).toContain('<h2>Loss curves</h2>');
    for (const t of [
      'heatmap_mse (unweighted, smoothed)',
      'temporal (unweighted, smoothed)',
      'pca_singleview (unweighted, smoothed)',
      'mean keypoint error per frame',
    ])
      expect(html).toContain(t);
    expect(html.match(/<img src="data:image\/png;base64,/g)).toHaveLength(4);
    expect(html).not.toMatch(/NaN|undefined/);
    expect(html.match(/<table class="stats">/g)).toHaveLength(1);
  });
});

describe.skipIf(!hasChromium)('demo report.html in headless Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads without console errors: one drawn uPlot canvas per chart, the frames decoded with their marks', async () => {
    const { page, errors, requests } = await openReportPage(browser!, file);
    // runs in the page (a string: the tests are compiled without the DOM library)
    const c = (await page.evaluate(`(() => {
      const canvases = [...document.querySelectorAll('.uplot canvas')].map((cv) => {
        const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
        let inked = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) inked++;
        return { w: cv.width, inked };
      });
      const images = [...document.querySelectorAll('figure.image')].map((f) => {
        const img = f.querySelector('img');
        return { decoded: img.complete && img.naturalWidth, shown: img.getBoundingClientRect().width, marks: f.querySelectorAll('svg circle, svg path').length, caption: f.querySelector('figcaption').textContent };
      });
      return { plots: Number(document.body.getAttribute('data-plots')), canvases, images, tables: document.querySelectorAll('table.stats tbody tr').length };
    })()`)) as {
      plots: number;
      canvases: { w: number; inked: number }[];
      images: { decoded: number; shown: number; marks: number; caption: string }[];
      tables: number;
    };
    await page.screenshot({ path: path.join(path.dirname(file), 'report.png'), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
    expect(requests.every((u) => u.startsWith('file://') || u.startsWith('data:'))).toBe(true);
    expect(c.plots).toBe(CHARTS);
    expect(c.canvases).toHaveLength(CHARTS);
    for (const cv of c.canvases) {
      expect(cv.w).toBeGreaterThan(250);
      expect(cv.inked).toBeGreaterThan(2000); // axes, grid and the series were drawn
    }
    expect(c.images).toHaveLength(4);
    for (const im of c.images) {
      expect(im.decoded).toBe(SIZE);
      expect(im.shown).toBe(4 * SIZE);
      expect(im.marks).toBe(3 * K); // truth and both runs
      expect(im.caption).toMatch(/^frame \d+ — supervised: worst \d+\.\d px · semi-supervised: worst \d+\.\d px$/);
    }
    expect(c.tables).toBe(1 + 3); // a section row and its rows
  });
});
