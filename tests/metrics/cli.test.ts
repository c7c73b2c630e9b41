import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasData, PREDS, readMetricCsv, tmpDir, warnIfNoData } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
warnIfNoData('`npx poseloss metrics` end to end');

describe.skipIf(!hasData)('npx poseloss metrics (bin/poseloss.js)', () => {
  it('IBL pupil video: the reference temporal norm within 2e-5 px, summary on stdout, exit 0', () => {
    const out = tmpDir('cli');
    const r = spawnSync(
      process.execPath,
      [
        path.join(root, 'bin', 'poseloss.js'),
        'metrics',
        '--config',
        path.join(PREDS, 'configs', 'ibl-pupil.yaml'),
        '--preds',
        path.join(PREDS, 'ibl-pupil', '5285c561.left.rng0.csv'),
        '--out',
        out,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.stderr).toMatch(/^backend: /m);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/5285c561\.left\.rng0\.csv: 2000 frames, 4 keypoints \(video\)/);
    const want = readMetricCsv(path.join(PREDS, 'reference', '5285c561.left.rng0_temporal_norm.csv'));
    const got = readMetricCsv(path.join(out, '5285c561.left.rng0_temporal_norm.csv'));
    expect(got.header).toEqual(want.header);
    want.values.forEach((row, i) =>
      row.forEach((v, j) => (Number.isNaN(v) ? expect(got.values[i][j]).toBeNaN() : expect(Math.abs(got.values[i][j] - v)).toBeLessThanOrEqual(2e-5))),
    );
    expect(fs.readdirSync(out).sort()).toEqual(['5285c561.left.rng0_temporal_norm.csv', 'report.html']);
  });
});
