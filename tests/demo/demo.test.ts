import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { either } from 'fp-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCommand } from '../../src/cli/demo.js';
import { readPoseCsv } from '../../src/io/index.js';

/** `poseloss demo --quick`, end to end through the CLI entry point, once for the whole file. */

interface Results {
  options: { steps: number; quick: boolean };
  pca: { kept: number };
  runs: {
    key: string;
    finitePredictions: boolean;
    heldout: Record<string, number | null>;
    history: { total: number[]; terms: Record<string, number[]>; tensors: number[] };
  }[];
}

let dir: string;
const lines: string[] = [];
let code: number;
let results: Results;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-demo-'));
  code = await demoCommand(['--quick', '--out', dir], (l) => lines.push(l));
  results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as Results;
}, 180_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('poseloss demo --quick', () => {
  it('exits 0 and prints the backend and the side-by-side table', () => {
    expect(code).toBe(0);
    const text = lines.join('\n');
    expect(text).toMatch(/^backend: \w+/m);
    expect(text).toMatch(/supervised\s+semi-supervised\s+truth/);
    for (const row of [
      'pixel error, mean (px)',
      'pixel error, median (px)',
      'pixel error, 95th percentile (px)',
      'frames with a keypoint > 5 px off (%)',
      'temporal norm, mean (px/frame)',
      'PCA error, mean (px)',
    ])
      expect(lines.filter((l) => l.includes(row)).length, row).toBe(2); // held-out video and unlabeled frames
    const meanRow = lines.find((l) => l.includes('pixel error, mean (px)'))!;
    expect(meanRow.match(/\d+\.\d+/g)).toHaveLength(2);
  });

  it('trains both runs with the factories of the bundled config', () => {
    expect(results.options).toMatchObject({ quick: true });
    expect(results.runs.map((r) => r.key)).toEqual(['supervised', 'semi']);
    expect(Object.keys(results.runs[0].history.terms)).toEqual(['heatmap_mse']);
    expect(Object.keys(results.runs[1].history.terms)).toEqual(['heatmap_mse', 'temporal', 'pca_singleview']);
    for (const r of results.runs) expect(r.history.total).toHaveLength(results.options.steps);
  });

  it("reduces each run's loss", () => {
    for (const r of results.runs) {
      const w = Math.max(3, Math.floor(r.history.total.length / 10));
      const hm = r.history.terms.heatmap_mse;
      expect(mean(hm.slice(-w)), `${r.key} heatmap_mse`).toBeLessThan(0.8 * mean(hm.slice(0, w)));
      expect(mean(r.history.total.slice(-w)), `${r.key} total`).toBeLessThan(mean(r.history.total.slice(0, w)));
      expect(r.history.total.every(Number.isFinite)).toBe(true);
    }
  });

  it('produces finite predictions and metrics', () => {
    for (const r of results.runs) {
      expect(r.finitePredictions, r.key).toBe(true);
      for (const k of ['meanError', 'medianError', 'p95Error', 'framesOver', 'meanTemporalNorm', 'meanPcaError'])
        expect(Number.isFinite(r.heldout[k]), `${r.key} ${k}`).toBe(true);
    }
  });

  it('keeps the tensor count constant across training steps', () => {
    for (const r of results.runs) expect(new Set(r.history.tensors).size, r.key).toBe(1);
    expect(lines.join('\n')).toMatch(/tensors left: 0\b/);
  });

  it('writes report.html with the loss curves, error over time and frames', () => {
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Loss curves</h2>');
    for (const t of ['heatmap_mse', 'temporal', 'pca_singleview', 'mean keypoint error per frame']) expect(html).toContain(t);
    expect(html.match(/data:image\/png;base64,/g)?.length).toBeGreaterThanOrEqual(2);
    expect(html).not.toMatch(/NaN|undefined/);
  });

  it('writes the held-out predictions as pose CSVs the io module reads', () => {
    for (const f of ['heldout_truth.csv', 'heldout_supervised.csv', 'heldout_semi.csv']) {
      const t = readPoseCsv(path.join(dir, f));
      expect(either.isRight(t), f).toBe(true);
    }
  });
});

describe('poseloss demo arguments', () => {
  it('rejects bad values and unknown options with exit 2 and the usage', async () => {
    for (const argv of [['--steps', '0'], ['--seed', 'x'], ['--fast'], ['extra']]) {
      const out: string[] = [];
      expect(
        await demoCommand(
          argv,
          (l) => out.push(l),
          (l) => out.push(l),
        ),
        argv.join(' '),
      ).toBe(2);
      expect(out.join('\n')).toContain('usage: poseloss demo');
    }
  });
});
