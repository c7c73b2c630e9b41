import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { metricsMultiviewCommand } from '../../src/cli/metricsMultiview.js';
import { projectRef } from '../../src/geometry/reference.js';
import { rigArb } from '../geometry/rig.js';
import { hasShared, SHARED, warnIfNoShared } from '../shared.js';
import { poseCsv, readMetricCsv, tmpDir } from './helpers.js';

const FLY = path.join(SHARED, 'data/predictions/fly');
const PYTHON = process.env.POSELOSS_PEER_PYTHON ?? '/usr/bin/python3';
const cv2 = spawnSync(PYTHON, ['-c', 'import cv2, toml'], { encoding: 'utf8' }).status === 0;
warnIfNoShared('metrics --calibration on the fly data');
if (!cv2) console.warn(`SKIP OpenCV check of metrics --calibration: ${PYTHON} cannot import cv2 and toml (apt-get install python3-opencv python3-toml)`);

const KP = ['head', 'tail', 'paw'];

const runMetrics = async (...argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await metricsMultiviewCommand(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out, err };
};

/** A synthetic rig: calibration.toml text and per-view prediction CSVs of points on a smooth path, exact projections. */
const synthetic = (frames: number, lowLik: (v: number, f: number, k: number) => boolean = () => false) => {
  const cams = fc.sample(rigArb({ minV: 3, maxV: 3 }), { numRuns: 1, seed: 42 })[0].map((c, i) => ({ ...c, name: `Cam-${'ABC'[i]}` }));
  const toml = cams
    .map(
      (c, i) =>
        `[cam_${i}]\nname = "${c.name}"\nsize = [${c.size}]\nmatrix = ${JSON.stringify(c.matrix)}\ndistortions = ${JSON.stringify(c.distortions)}\nrotation = ${JSON.stringify(c.rotation)}\ntranslation = ${JSON.stringify(c.translation)}\n`,
    )
    .join('\n');
  const X = (f: number, k: number): [number, number, number] => [0.3 * Math.sin(f / 10) + 0.2 * k, 0.1 * k, 0.2 * Math.cos(f / 7)];
  const csvs = cams.map((c, v) =>
    poseCsv(
      KP,
      Array.from({ length: frames }, (_, f) => [f, ...KP.flatMap((_, k) => [...projectRef(X(f, k), c), lowLik(v, f, k) ? 0.1 : 0.95])]),
    ),
  );
  return { cams, toml, csvs, X };
};

const write = (dir: string, files: Record<string, string>) => {
  for (const [n, t] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), t);
  return (n: string) => path.join(dir, n);
};

describe('poseloss metrics --calibration', () => {
  it('exact projections: reprojection errors ~0, the 3-D points and their temporal norm are the truth; low likelihood → missing', async () => {
    const s = synthetic(30, (v, f, k) => v === 0 && f === 3 && k === 1);
    const dir = tmpDir('mv');
    const p = write(dir, { 'calibration.toml': s.toml, 'run_Cam-A.csv': s.csvs[0], 'run_Cam-B.csv': s.csvs[1], 'run_Cam-C.csv': s.csvs[2] });
    const out = p('out');
    const r = await runMetrics('--calibration', p('calibration.toml'), '--preds', p('run_Cam-B.csv'), p('run_Cam-C.csv'), p('run_Cam-A.csv'), '--out', out);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual([
      'multiview_points_3d.csv',
      'multiview_temporal_norm_3d.csv',
      'report.html',
      'run_Cam-A_reprojection_error.csv',
      'run_Cam-B_reprojection_error.csv',
      'run_Cam-C_reprojection_error.csv',
    ]);
    const a = readMetricCsv(path.join(out, 'run_Cam-A_reprojection_error.csv'));
    expect(a.header).toEqual(['', ...KP]);
    a.values.forEach((row, f) => row.forEach((e, k) => (f === 3 && k === 1 ? expect(e).toBeNaN() : expect(e).toBeLessThan(0.02))));
    const pts = readMetricCsv(path.join(out, 'multiview_points_3d.csv'));
    expect(pts.header.slice(1, 6)).toEqual(['head_x', 'head_y', 'head_z', 'head_error', 'head_ncams']);
    pts.values.forEach((row, f) =>
      KP.forEach((_, k) => {
        s.X(f, k).forEach((x, c) => expect(Math.abs(row[5 * k + c] - x)).toBeLessThan(1e-4));
        expect(row[5 * k + 4]).toBe(f === 3 && k === 1 ? 2 : 3);
      }),
    );
    const tn = readMetricCsv(path.join(out, 'multiview_temporal_norm_3d.csv'));
    expect(tn.values[0].every(Number.isNaN)).toBe(true);
    const want = Math.hypot(...s.X(5, 2).map((x, c) => x - s.X(4, 2)[c]));
    expect(tn.values[5][2]).toBeCloseTo(want, 4);
    expect(r.out.join('\n')).toContain('temporal_norm_3d (calibration units)');
    // a stricter threshold drops everything → every error NaN, still written
    const r2 = await runMetrics(
      '--calibration',
      p('calibration.toml'),
      '--preds',
      p('run_Cam-A.csv'),
      p('run_Cam-B.csv'),
      p('run_Cam-C.csv'),
      '--out',
      p('out2'),
      '--likelihood-threshold',
      '0.99',
    );
    expect(r2.code).toBe(0);
    expect(
      readMetricCsv(path.join(p('out2'), 'run_Cam-A_reprojection_error.csv'))
        .values.flat()
        .every(Number.isNaN),
    ).toBe(true);
  });

  it('views that cannot be matched, a count mismatch, a bad threshold or a bad calibration: exit 2, nothing written', async () => {
    const s = synthetic(5);
    const dir = tmpDir('mv-err');
    const p = write(dir, {
      'calibration.toml': s.toml,
      'a.csv': s.csvs[0],
      'b.csv': s.csvs[1],
      'c.csv': s.csvs[2],
      'short.csv': synthetic(4).csvs[2],
      'bad.toml': s.toml.replace('rotation', 'rotaton'),
    });
    const fails = async (argv: string[], msg: RegExp) => {
      const out = p(`out-${Math.random()}`);
      const r = await runMetrics(...argv, '--out', out);
      expect(r.code).toBe(2);
      expect(r.err.join('\n')).toMatch(msg);
      expect(fs.existsSync(out)).toBe(false);
    };
    const base = ['--calibration', p('calibration.toml'), '--preds'];
    await fails(
      [...base, p('a.csv'), p('b.csv'), p('c.csv')],
      /camera 'Cam-A' of .*calibration\.toml: no predictions file has it in its name; name the view of each file with --views Cam-A,Cam-B,Cam-C/,
    );
    await fails([...base, p('a.csv'), p('b.csv')], /2 predictions file\(s\), but .* has 3 cameras \[Cam-A, Cam-B, Cam-C\]/);
    await fails([...base, p('a.csv'), p('b.csv'), p('c.csv'), '--views', 'Cam-A,Cam-B,Cam-D'], /--views: no camera named 'Cam-D'/);
    await fails([...base, p('a.csv'), p('b.csv'), p('short.csv'), '--views', 'Cam-A,Cam-B,Cam-C'], /short\.csv: 4 frames, but .*a\.csv has 5/);
    await fails(
      [...base, p('a.csv'), p('b.csv'), p('c.csv'), '--views', 'Cam-A,Cam-B,Cam-C', '--likelihood-threshold', 'x'],
      /--likelihood-threshold: expected a number in \[0, 1\]/,
    );
    await fails(
      ['--calibration', p('bad.toml'), '--preds', p('a.csv'), p('b.csv'), p('c.csv')],
      /bad\.toml \[cam_0\]\.rotaton: unknown key 'rotaton' \(did you mean 'rotation'\?\)/,
    );
    const ok = await runMetrics(...base, p('c.csv'), p('a.csv'), p('b.csv'), '--views', 'Cam-C,Cam-A,Cam-B', '--out', p('ok'));
    expect(ok.code).toBe(0);
    expect(
      readMetricCsv(path.join(p('ok'), 'a_reprojection_error.csv'))
        .values.flat()
        .every((e) => e < 0.02),
    ).toBe(true);
  });

  it('`poseloss metrics --calibration` reaches the multi-camera command', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'metrics', '--calibration', 'x.toml', '--out', tmpDir('dispatch')], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--preds needs one predictions file per camera');
    expect(r.stderr).toContain('--likelihood-threshold P');
  });

  it.skipIf(!hasShared)(
    'the fly data: one row per frame, every view; agrees with OpenCV (cv2.undistortPoints/projectPoints + SVD DLT) to 1e-3 px',
    async () => {
      const out = path.join(tmpDir('fly'), 'out');
      const preds = ['A', 'B', 'C'].map((c) => path.join(FLY, `fly4_Cam-${c}.rng0.csv`));
      const r = await runMetrics('--calibration', path.join(FLY, 'calibration.toml'), '--preds', ...preds, '--out', out);
      expect(r.code, r.err.join('\n')).toBe(0);
      const a = readMetricCsv(path.join(out, 'fly4_Cam-A.rng0_reprojection_error.csv'));
      expect(a.values).toHaveLength(500);
      expect(a.header).toHaveLength(13);
      if (!cv2) return;
      const c = spawnSync(PYTHON, ['bench/peer/check_fly_opencv.py', path.join(FLY, 'calibration.toml'), out, ...preds], { encoding: 'utf8' });
      expect(c.status, c.stderr).toBe(0);
      const rows = c.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/));
      expect(rows.map((r) => r[0])).toEqual(['Cam-A', 'Cam-B', 'Cam-C']);
      for (const row of rows) {
        expect(Number(row[8])).toBeLessThan(1e-3); // max |diff| from OpenCV's reprojection errors, px
        expect(Math.abs(Number(row[2]) - Number(row[6]))).toBeLessThan(1e-3); // medians
      }
    },
  );
});
