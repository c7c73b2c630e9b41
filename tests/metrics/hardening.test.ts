import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { histograms } from '../../src/report/histogram.js';
import { poseCsv, readMetricCsv, runMetrics, tmpDir, twoLabeledPreds, twoLabels, withFiles } from './helpers.js';

const KP = ['nose', 'ear'];
const CONFIG = 'data:\n  keypoint_names: [nose, ear]\nlosses:\n  temporal: { epsilon: 5.0 }\n';

const files = (named: Record<string, string>) => withFiles('hardening', named);

describe('poseloss metrics: numbers as the reference computes them (float64)', () => {
  it('a coordinate of 1e30: the temporal norm is ~1e30, not Infinity (float32 overflowed)', async () => {
    const s = files({
      'c.yaml': CONFIG,
      'p.csv': poseCsv(KP, [
        [0, 0, 0, 0.9, 1, 1, 0.9],
        [1, 1e30, 0, 0.9, 1, 1, 0.9],
        [2, 1e30, 3e30, 0.9, 1, 1, 0.9],
      ]),
    });
    const r = await runMetrics('--config', s.p('c.yaml'), '--preds', s.p('p.csv'), '--out', s.p('out'));
    expect(r.code).toBe(0);
    const t = readMetricCsv(s.p('out/p_temporal_norm.csv'));
    expect(t.values[1][0]).toBe(1e30);
    expect(t.values[2][0]).toBe(3e30);
    expect(t.values[1][1]).toBe(0);
  });

  it('1e400 or inf in a predictions file: an error naming the line and column, nothing written', async () => {
    for (const cell of ['1e400', '-inf']) {
      const s = files({
        'c.yaml': CONFIG,
        'p.csv': poseCsv(KP, [
          [0, 0, 0, 0.9, 1, 1, 0.9],
          [1, 2, cell, 0.9, 1, 1, 0.9],
        ]),
      });
      const r = await runMetrics('--config', s.p('c.yaml'), '--preds', s.p('p.csv'), '--out', s.p('out'));
      expect(r.code).toBe(2);
      expect(r.err[0]).toMatch(new RegExp(`^error: .*p\\.csv, line 5, column 3 \\(nose y\\): "${cell}" is (too large|infinite)`));
      expect(fs.existsSync(s.p('out'))).toBe(false);
    }
  });
});

describe('poseloss metrics: repeated frame indices', () => {
  it('in a video file: a warning, the metric computed in file order', async () => {
    const s = files({
      'c.yaml': CONFIG,
      'p.csv': poseCsv(KP, [
        [0, 0, 0, 0.9, 1, 1, 0.9],
        [1, 3, 4, 0.9, 1, 1, 0.9],
        [1, 3, 4, 0.9, 1, 1, 0.9],
      ]),
    });
    const r = await runMetrics('--config', s.p('c.yaml'), '--preds', s.p('p.csv'), '--out', s.p('out'));
    expect(r.code).toBe(0);
    expect(r.err).toContain(`warning: ${s.p('p.csv')}: frame rows 2 and 3 have the same index "1"; the temporal norm is computed in file order as given`);
    expect(readMetricCsv(s.p('out/p_temporal_norm.csv')).values.map((v) => v[0])).toEqual([NaN, 5, 0]);
  });

  it('in predictions of labeled frames: an error (rows are matched to labels by index)', async () => {
    const labels = twoLabels();
    const preds = twoLabeledPreds(['img0.png', 'img0.png'], ['train', 'train']);
    const s = files({ 'c.yaml': CONFIG, 'l.csv': labels, 'p.csv': preds });
    const r = await runMetrics('--config', s.p('c.yaml'), '--labels', s.p('l.csv'), '--preds', s.p('p.csv'), '--out', s.p('out'));
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe(
      `error: ${s.p('p.csv')}: frame rows 1 and 2 have the same index "img0.png"; pixel error matches predictions to labels by index, so every predicted frame needs its own index`,
    );
    expect(fs.existsSync(s.p('out'))).toBe(false);
  });
});

describe('poseloss metrics: outputs all or nothing', () => {
  const video = poseCsv(KP, [
    [0, 0, 0, 0.9, 1, 1, 0.9],
    [1, 3, 4, 0.9, 1, 1, 0.9],
  ]);

  it('an output name taken by a folder: an error before anything moves; earlier outputs stay as they were', async () => {
    const s = files({ 'c.yaml': CONFIG, 'a.csv': video, 'b.csv': video });
    const out = s.p('out');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'a_temporal_norm.csv'), 'old');
    fs.mkdirSync(path.join(out, 'b_temporal_norm.csv'));
    const r = await runMetrics('--config', s.p('c.yaml'), '--preds', s.p('a.csv'), '--preds', s.p('b.csv'), '--out', out);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(/b_temporal_norm\.csv: a folder of that name is in the way; nothing was written/);
    expect(fs.readdirSync(out).sort()).toEqual(['a_temporal_norm.csv', 'b_temporal_norm.csv']);
    expect(fs.readFileSync(path.join(out, 'a_temporal_norm.csv'), 'utf8')).toBe('old');
  });

  it('--out on /proc (or a file): refused at once, before reading anything', async () => {
    const s = files({ 'c.yaml': CONFIG, 'p.csv': video });
    const t0 = Date.now();
    const r = await runMetrics('--config', s.p('c.yaml'), '--preds', s.p('p.csv'), '--out', '/proc/self/x');
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      'error: --out /proc/self/x: is on a special filesystem (proc), not storage; give a folder on disk',
      'nothing written to /proc/self/x',
    ]);
    expect(Date.now() - t0).toBeLessThan(5000);
    const f = await runMetrics('--config', s.p('c.yaml'), '--preds', s.p('p.csv'), '--out', s.p('p.csv'));
    expect(f.err[0]).toBe(`error: --out ${s.p('p.csv')}: exists and is not a directory`);
  });

  it('--out=DIR with more = signs is the whole value', async () => {
    const s = files({ 'c.yaml': CONFIG, 'p.csv': video });
    const r = await runMetrics(`--config=${s.p('c.yaml')}`, `--preds=${s.p('p.csv')}`, `--out=${s.p('run=2')}`);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(s.p('run=2')).sort()).toEqual(['p_temporal_norm.csv', 'report.html']);
  });

  it('a large video (200k frames) streams its metric CSV: same values as computed, no whole-file string', async () => {
    const n = 200_000;
    const lines = ['scorer,s,s,s,s', 'bodyparts,nose,nose,ear,ear', 'coords,x,y,x,y'];
    for (let f = 0; f < n; f++) lines.push(`${f},${f % 7},${(f * 3) % 11},1,1`);
    const s = files({ 'c.yaml': CONFIG, 'p.csv': lines.join('\n') + '\n' });
    const r = await runMetrics('--config', s.p('c.yaml'), '--preds', s.p('p.csv'), '--out', s.p('out'));
    expect(r.code).toBe(0);
    const t = readMetricCsv(s.p('out/p_temporal_norm.csv'));
    expect(t.values).toHaveLength(n);
    const f = 123_457;
    expect(t.values[f][0]).toBeCloseTo(Math.hypot((f % 7) - ((f - 1) % 7), ((f * 3) % 11) - (((f - 1) * 3) % 11)), 12);
  });
});

describe('report histograms with values a float32 metric can produce', () => {
  it('an infinite value goes into the last bin (it threw "Invalid array length"), marked as clipped', () => {
    const h = histograms([1, 2, Infinity, NaN, 3, Infinity], 6, 1);
    expect(h.edges.every(Number.isFinite)).toBe(true);
    expect(h.clipped).toBe(true);
    expect(h.y[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(h.y[0][h.y[0].length - 1]).toBeGreaterThanOrEqual(2 / 5);
    expect(histograms([Infinity], 1, 1).edges.every(Number.isFinite)).toBe(true);
  });
});
