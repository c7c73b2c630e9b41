import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATA, hasData, PREDS, type Run, readMetricCsv, runMetrics, tmpDir, warnIfNoData } from './helpers.js';

warnIfNoData('metrics on real predictions vs the reference outputs');

interface RefEntry {
  input_file: string;
  input_path: string;
  dataset: string;
  output_file: string;
  metric: string;
}

/** Per metric, the tolerance the issue sets: temporal norm 2e-5 px, PCA errors 1e-3 px. */
const TOL: Record<string, number> = { temporal_norm: 2e-5, pca_singleview_error: 1e-3, pca_multiview_error: 1e-3 };

const CONFIGS: Record<string, { config: string; labels?: string }> = {
  'mirror-mouse': { config: 'mirror-mouse-paws.yaml', labels: path.join(DATA, 'mirror-mouse', 'CollectedData.csv') },
  'ibl-pupil': { config: 'ibl-pupil.yaml' },
};

const refs: RefEntry[] = hasData ? (JSON.parse(fs.readFileSync(path.join(PREDS, 'reference', 'reference.json'), 'utf8')).files as RefEntry[]) : [];
const out = tmpDir('reference');
const runs: Record<string, Run> = {};

/** The command, as a user runs it: one call per dataset, with every predictions file of that dataset the reference covers. */
describe.skipIf(!hasData)('poseloss metrics reproduces the reference outputs (../shared/data/predictions/reference)', () => {
  beforeAll(async () => {
    for (const [dataset, c] of Object.entries(CONFIGS)) {
      const inputs = [...new Set(refs.filter((r) => r.dataset === dataset).map((r) => path.join(PREDS, dataset, r.input_file)))];
      const args = [
        '--config',
        path.join(PREDS, 'configs', c.config),
        ...(c.labels ? ['--labels', c.labels] : []),
        ...inputs.flatMap((p) => ['--preds', p]),
        '--out',
        path.join(out, dataset),
      ];
      runs[dataset] = await runMetrics(...args);
    }
  });

  it('covers every reference file', () => {
    expect(refs.length).toBeGreaterThanOrEqual(7);
    for (const r of refs) expect(Object.keys(CONFIGS)).toContain(r.dataset);
  });

  it('exits 0 and prints a table per file and metric', () => {
    for (const [dataset, r] of Object.entries(runs)) {
      expect(r.err, dataset).toEqual([]);
      expect(r.code, dataset).toBe(0);
      const text = r.out.join('\n');
      for (const ref of refs.filter((x) => x.dataset === dataset)) {
        expect(text).toContain(ref.input_file);
        expect(text).toContain(`  ${ref.metric} (px)`);
      }
      expect(text).toMatch(/keypoint +median +p95 +max +ε +> ε/);
    }
    expect(fs.existsSync(path.join(out, 'mirror-mouse', 'report.html'))).toBe(true);
  });

  for (const ref of refs) {
    it(`${ref.output_file} within ${TOL[ref.metric]} px`, () => {
      const want = readMetricCsv(path.join(PREDS, 'reference', ref.output_file));
      const gotFile = path.join(out, ref.dataset, ref.output_file);
      expect(fs.existsSync(gotFile), `${gotFile} written`).toBe(true);
      const got = readMetricCsv(gotFile);
      // the layout: same header (empty first cell, keypoint names), same index column
      expect(got.header).toEqual(want.header);
      expect(got.index).toEqual(want.index);
      let maxErr = 0;
      want.values.forEach((row, i) =>
        row.forEach((v, j) => {
          const a = got.values[i][j];
          if (Number.isNaN(v)) return expect(a, `row ${i}, ${want.header[j + 1]}: NaN expected`).toBeNaN();
          maxErr = Math.max(maxErr, Math.abs(a - v));
        }),
      );
      console.log(`${ref.output_file}: ${want.values.length} frames, max |poseloss − reference| = ${maxErr.toExponential(2)} px`);
      expect(maxErr).toBeLessThanOrEqual(TOL[ref.metric]);
    });
  }

  it('each PCA metric reads its own config block (the reference reads pca_singleview for both)', () => {
    const r = runs['mirror-mouse'].out.join('\n');
    // the fitted epsilons of reference.json: singleview 15.2912 (components 0.99), multiview 4.6597 (3 components)
    expect(r).toMatch(/pca_singleview_error[\s\S]*?15\.29/);
    expect(r).toMatch(/pca_multiview_error[\s\S]*?4\.66/);
  });
});

/** The other real files (no reference outputs): the command runs and the numbers are sane. */
describe.skipIf(!hasData)('poseloss metrics on the other real predictions', () => {
  it('fly (3 cameras, 12 keypoints) and IBL paw: temporal norm without a config keypoint list', async () => {
    const dir = tmpDir('others');
    const cfg = path.join(dir, 'config.yaml');
    fs.writeFileSync(cfg, 'data:\n  num_keypoints: 12\nlosses:\n  temporal: { epsilon: 20.0 }\n');
    const files = [
      ...['A', 'B', 'C'].map((c) => path.join(PREDS, 'fly', `fly4_Cam-${c}.rng0.csv`)),
      ...['left', 'right'].map((s) => path.join(PREDS, 'ibl-paw', `3f859b5c.${s}.rng0.csv`)),
    ];
    const r = await runMetrics('--config', cfg, ...files.flatMap((f) => ['--preds', f]), '--out', path.join(dir, 'out'));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    for (const f of files) {
      const stem = path.basename(f, '.csv');
      const t = readMetricCsv(path.join(dir, 'out', `${stem}_temporal_norm.csv`));
      expect(t.values[0].every(Number.isNaN)).toBe(true);
      const finite = t.values.slice(1).flat().filter(Number.isFinite);
      expect(finite.length).toBeGreaterThan(0);
      expect(finite.every((v) => v >= 0)).toBe(true);
    }
  });
});
