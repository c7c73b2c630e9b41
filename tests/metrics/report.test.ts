import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, openReportPage, warnIfNoChromium } from '../chromium.js';
import { DATA, hasData, PREDS, poseCsv, runMetrics, tmpDir } from './helpers.js';

warnIfNoChromium('report');

/** A synthetic study: a 5,000-frame video (thinned for drawing) and predictions of labeled frames, with both PCA metrics. */
const synthetic = (): { argv: string[]; metrics: number } => {
  const dir = tmpDir('report');
  const kp = ['nose', 'left_ear', 'right_ear', 'tail'];
  const pose = (t: number, jitter: number): number[] => {
    const cx = 200 + 50 * Math.sin(t / 40);
    const cy = 150 + 30 * Math.cos(t / 55);
    const j = (i: number) => jitter * Math.sin(t * 7.13 + i * 3.1);
    return [cx + 20 + j(0), cy + j(1), cx - 5 + j(2), cy - 10 + j(3), cx - 5 + j(4), cy + 10 + j(5), cx - 40 + j(6), cy + j(7)];
  };
  const labelRows = Array.from({ length: 60 }, (_, f) => [`img${f}.png`, ...pose(f * 13, 1)]);
  const videoRows = Array.from({ length: 5000 }, (_, f) => {
    const p = pose(f, f % 500 === 0 ? 25 : 0.5);
    return [f, p[0], p[1], 0.9, p[2], p[3], 0.8, p[4], p[5], 0.95, p[6], p[7], 0.7];
  });
  const labeledRows = labelRows.slice(0, 20).map((r) => {
    const p = (r.slice(1) as number[]).map((v, i) => v + Math.sin(i + (r[0] as string).length));
    return [r[0], p[0], p[1], 0.9, p[2], p[3], 0.9, p[4], p[5], 0.9, p[6], p[7], 0.9];
  });
  fs.writeFileSync(path.join(dir, 'labels.csv'), poseCsv(kp, labelRows, { likelihood: false }));
  fs.writeFileSync(path.join(dir, 'video.csv'), poseCsv(kp, videoRows));
  fs.writeFileSync(path.join(dir, 'labeled.csv'), poseCsv(kp, labeledRows, { set: labeledRows.map((_, i) => (i % 4 ? 'train' : 'val')) }));
  fs.writeFileSync(
    path.join(dir, 'config.yaml'),
    'data:\n  keypoint_names: [nose, left_ear, right_ear, tail]\n  columns_for_singleview_pca: [0, 1, 2, 3]\n  mirrored_column_matches: [[1], [2]]\n' +
      'losses:\n  pca_singleview: { components_to_keep: 2 }\n  pca_multiview: { empirical_epsilon_percentile: 95 }\n  temporal: { epsilon: 5 }\n',
  );
  const p = (n: string) => path.join(dir, n);
  return {
    argv: ['--config', p('config.yaml'), '--labels', p('labels.csv'), '--preds', p('video.csv'), '--preds', p('labeled.csv'), '--out', p('out')],
    metrics: 3 + 3,
  };
};

interface PageCheck {
  errors: string[];
  requests: string[];
  plots: number;
  canvases: { w: number; h: number; inked: number }[];
  sections: number;
}

let browser: Browser | undefined;

/** Loads the page, collects console errors and requests, and measures every chart's canvas (how many pixels were drawn). */
const openReport = async (file: string, shot?: string): Promise<PageCheck> => {
  const { page, errors, requests } = await openReportPage(browser!, file);
  // runs in the page (a string: the tests are compiled without the DOM library)
  const check = (await page.evaluate(`(() => {
    const canvases = [...document.querySelectorAll('.uplot canvas')].map((cv) => {
      const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
      let inked = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) inked++;
      return { w: cv.width, h: cv.height, inked };
    });
    return { plots: Number(document.body.getAttribute('data-plots')), canvases, sections: document.querySelectorAll('table.stats').length };
  })()`)) as Omit<PageCheck, 'errors' | 'requests'>;
  if (shot) await page.screenshot({ path: shot, fullPage: false });
  await page.close();
  return { errors, requests, ...check };
};

describe.skipIf(!hasChromium)('report.html in headless Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('synthetic study: loads without console errors, a time and a distribution chart per file and metric, self-contained', async () => {
    const s = synthetic();
    const r = await runMetrics(...s.argv);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const file = path.join(s.argv[s.argv.length - 1], 'report.html');
    const html = fs.readFileSync(file, 'utf8');
    // self-contained: no external script, stylesheet, image or font
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href="(?!data:)/i);
    expect(html).not.toMatch(/url\((?!data:)/i);
    expect(html).toContain('max of 3 frames'); // the 5,000-frame video was thinned for drawing
    const shot = path.join(path.dirname(file), 'report-synthetic.png');
    const c = await openReport(file, shot);
    expect(c.errors).toEqual([]);
    expect(c.requests.every((u) => u.startsWith('file://') || u.startsWith('data:'))).toBe(true);
    expect(c.sections).toBe(s.metrics);
    expect(c.plots).toBe(2 * s.metrics);
    expect(c.canvases.length).toBe(2 * s.metrics);
    for (const cv of c.canvases) {
      expect(cv.w).toBeGreaterThan(250);
      expect(cv.inked).toBeGreaterThan(2000); // axes, grid and the series were drawn
    }
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
  });

  it.skipIf(!hasData)('real data (two mirror-mouse videos, temporal norm and both PCA metrics): one chart pair per metric', async () => {
    const dir = tmpDir('report-real');
    const r = await runMetrics(
      '--config',
      path.join(PREDS, 'configs', 'mirror-mouse-paws.yaml'),
      '--labels',
      path.join(DATA, 'mirror-mouse', 'CollectedData.csv'),
      '--preds',
      path.join(PREDS, 'mirror-mouse', '180607_004.rng0.csv'),
      '--preds',
      path.join(PREDS, 'mirror-mouse', '180607_004.rng3.csv'),
      '--out',
      dir,
    );
    expect(r.code).toBe(0);
    const c = await openReport(path.join(dir, 'report.html'), path.join(dir, 'report-mirror-mouse.png'));
    expect(c.errors).toEqual([]);
    expect(c.plots).toBe(2 * 2 * 3);
    expect(c.canvases.filter((cv) => cv.inked > 2000).length).toBe(12);
  });
});
