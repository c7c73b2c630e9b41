/**
 * Benchmark of `poseloss metrics --calibration` on a long synchronised video: 100,000 frames ×
 * 3 views × 17 keypoints (the fly rig's calibration; 3-D points on a random walk in its working
 * volume, projected into each camera with 0.5 px noise, written with 15 significant digits).
 * Prints the time of the geometry alone (triangulate + reproject + errors) and of the whole command.
 *
 *   npx tsx bench/metricsMultiview.ts [frames]        (default 100000; needs ../shared)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { either } from 'fp-ts';
import { initBackend } from '../src/backend/index.js';
import { metricsCommand } from '../src/cli/metrics.js';
import { projectRef } from '../src/geometry/reference.js';
import { readCalibration } from '../src/io/calibration.js';
import { readPoseCsvStream } from '../src/io/poseCsvStream.js';
import { multiviewMetrics } from '../src/metrics/multiview.js';

const FRAMES = Number(process.argv[2] ?? 100_000);
const K = 17;
const CALIB = path.resolve(import.meta.dirname, '..', '..', 'shared', 'data', 'predictions', 'fly', 'calibration.toml');

const rng = (seed: number) => () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};

const main = async () => {
  await initBackend();
  const g = readCalibration(CALIB);
  if (either.isLeft(g)) throw new Error(`needs ${CALIB}`);
  const cams = g.right.cameras;
  const r = rng(7);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-bench-mv-'));
  const names = Array.from({ length: K }, (_, k) => `kp${k}`);
  const head = (v: string) =>
    [
      ['scorer', ...names.flatMap(() => ['b', 'b', 'b'])],
      ['bodyparts', ...names.flatMap((n) => [n, n, n])],
      ['coords', ...names.flatMap(() => ['x', 'y', 'likelihood'])],
    ]
      .map((l) => l.join(','))
      .join('\n') + `\n${v}`;
  const X = names.map((_, k) => [-1.722 + 0.05 * k, -0.328, 3.529]);
  const lines: string[][] = cams.map(() => []);
  for (let f = 0; f < FRAMES; f++) {
    for (const p of X) for (let c = 0; c < 3; c++) p[c] += (r() - 0.5) * 0.004;
    cams.forEach((cam, v) =>
      lines[v].push(
        [
          f,
          ...X.flatMap((p) => [
            ...projectRef(p as [number, number, number], cam).map((u) => (u + (r() - 0.5)).toPrecision(15)),
            (0.6 + 0.4 * r()).toPrecision(15),
          ]),
        ].join(','),
      ),
    );
  }
  const files = cams.map((c, v) => {
    const f = path.join(dir, `bench_${c.name}.csv`);
    fs.writeFileSync(f, head(lines[v].join('\n')) + '\n');
    return f;
  });
  const tables = await Promise.all(files.map((f) => readPoseCsvStream(f)));
  const t0 = performance.now();
  const m = multiviewMetrics(
    tables.map((t) => (either.isRight(t) ? t.right : (undefined as never))),
    cams,
  );
  const t1 = performance.now();
  if (either.isLeft(m)) throw new Error(m.left.join('\n'));
  console.log(`geometry (undistort, DLT, reproject, errors) on ${FRAMES} frames × ${cams.length} views × ${K} keypoints: ${((t1 - t0) / 1000).toFixed(2)} s`);
  const t2 = performance.now();
  const code = await metricsCommand(['--calibration', CALIB, '--preds', ...files, '--out', path.join(dir, 'out')], () => {}, console.error);
  console.log(`poseloss metrics --calibration end to end: ${((performance.now() - t2) / 1000).toFixed(2)} s (exit ${code})`);
  fs.rmSync(dir, { recursive: true, force: true });
};

void main();
