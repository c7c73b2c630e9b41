import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import type { Camera } from '../config/calibration.js';
import { cameraTensors, disposeCameras } from '../geometry/cameraTensors.js';
import { projectXYZ } from '../geometry/project.js';
import { reprojectionErrorXY } from '../geometry/reprojection.js';
import { triangulateXY } from '../geometry/triangulate.js';
import { undistortXY } from '../geometry/undistort.js';
import { type PoseTable, selectKeypoints } from '../io/index.js';
import type { FileMetrics } from './files.js';
import { keypointStats } from './stats.js';

/**
 * Predictions with a likelihood below this count as missing (anipose's triangulation
 * `score_threshold` default). A file without a likelihood column keeps every finite point.
 */
export const DEFAULT_LIKELIHOOD_THRESHOLD = 0.5;

/** Frames per tensor batch: bounds memory on long videos (100,000 frames). */
const CHUNK = 8192;

export interface MultiviewMetrics {
  /** Per view (in camera order): the reprojection error, (frames, K) px, as a metrics file of its own. */
  readonly views: FileMetrics[];
  /** The 3-D temporal norm (calibration units per frame) of the triangulated points, stem `multiview`. */
  readonly threeD: FileMetrics;
  /** (frames, K, 3) all-view DLT points; NaN with fewer than 2 usable views. */
  readonly points3d: Float32Array;
  /** (frames, K): mean reprojection error over the views used, and how many views were used. */
  readonly meanError: Float32Array;
  readonly ncams: Uint8Array;
  readonly keypoints: string[];
  readonly index: string[];
}

const stemOf = (file: string): string => file.replace(/^.*[\\/]/, '').replace(/\.csv$/i, '');

/**
 * Match prediction tables to cameras: with `views` (names, in the order of `tables`) as given;
 * otherwise each camera name must occur in exactly one file name (`fly4_Cam-A.rng0.csv` → Cam-A).
 * Returns the tables in camera order.
 */
export const matchViews = (
  tables: readonly PoseTable[],
  cameras: readonly Camera[],
  views: readonly string[] | null,
  source: string,
): Either<string[], PoseTable[]> => {
  const names = cameras.map((c) => c.name);
  if (tables.length !== cameras.length)
    return either.left([`${tables.length} predictions file(s), but ${source} has ${cameras.length} cameras [${names.join(', ')}]: give one file per camera`]);
  if (views) {
    const errs: string[] = [];
    if (views.length !== tables.length) errs.push(`--views names ${views.length} view(s) [${views.join(', ')}] for ${tables.length} predictions files`);
    views.forEach((v) => !names.includes(v) && errs.push(`--views: no camera named '${v}' in ${source} (cameras: ${names.join(', ')})`));
    if (new Set(views).size !== views.length) errs.push(`--views names a camera twice: [${views.join(', ')}]`);
    return errs.length ? either.left(errs) : either.right(names.map((n) => tables[views.indexOf(n)]));
  }
  const errs: string[] = [];
  const out = names.map((n) => {
    const hits = tables.filter((t) => stemOf(t.file).includes(n));
    if (hits.length !== 1)
      errs.push(
        `camera '${n}' of ${source}: ${hits.length ? `${hits.length} predictions files have it in their name (${hits.map((t) => t.file).join(', ')})` : 'no predictions file has it in its name'}; name the view of each file with --views ${names.join(',')}`,
      );
    return hits[0];
  });
  return errs.length ? either.left(errs) : either.right(out);
};

/**
 * Triangulate every frame and keypoint from the per-view predictions (tables in camera order,
 * keypoints matched by name to the first file's), reproject into every view and measure the
 * pixel distance to that view's prediction; plus the 3-D temporal norm. Likelihood below
 * `threshold` or a NaN coordinate = missing.
 */
export const multiviewMetrics = (
  tables: readonly PoseTable[],
  cameras: readonly Camera[],
  threshold = DEFAULT_LIKELIHOOD_THRESHOLD,
): Either<string[], MultiviewMetrics> => {
  const first = tables[0];
  const keypoints = first.keypoints;
  const errs: string[] = [];
  const sel = tables.map((t) => {
    if (t.xy.rows !== first.xy.rows)
      errs.push(`${t.file}: ${t.xy.rows} frames, but ${first.file} has ${first.xy.rows}: the views must be synchronised (one row per frame in every file)`);
    const s = selectKeypoints(t, keypoints);
    if (either.isLeft(s)) errs.push(s.left);
    return either.isRight(s) ? s.right : t;
  });
  if (errs.length) return either.left(errs);
  const N = first.xy.rows;
  const V = tables.length;
  const K = keypoints.length;
  const points3d = new Float32Array(N * K * 3);
  const perView = Array.from({ length: V }, () => new Float32Array(N * K));
  const cams = cameraTensors(cameras);
  try {
    for (let f0 = 0; f0 < N; f0 += CHUNK) {
      const n = Math.min(CHUNK, N - f0);
      // components (n, V, K): elementwise camera math without packing or splitting (x, y) pairs
      const bu = new Float32Array(n * V * K);
      const bv = new Float32Array(n * V * K);
      sel.forEach((t, v) => {
        for (let f = 0; f < n; f++)
          for (let k = 0; k < K; k++) {
            const lik = t.likelihood ? t.likelihood.data[(f0 + f) * K + k] : 1;
            const o = (f * V + v) * K + k;
            const keep = lik >= threshold;
            bu[o] = keep ? t.xy.data[(f0 + f) * 2 * K + 2 * k] : NaN;
            bv[o] = keep ? t.xy.data[(f0 + f) * 2 * K + 2 * k + 1] : NaN;
          }
      });
      const [X, err] = tf.tidy(() => {
        const u = tf.tensor3d(bu, [n, V, K]);
        const v = tf.tensor3d(bv, [n, V, K]);
        const [x, y] = undistortXY(u, v, cams);
        const p = triangulateXY(x, y, cams);
        const [ru, rv] = projectXYZ(p.X, p.Y, p.Z, cams);
        return [tf.stack([p.X, p.Y, p.Z], -1), reprojectionErrorXY(u, v, ru, rv)];
      });
      points3d.set(X.dataSync(), f0 * K * 3);
      const e = err.dataSync();
      for (let f = 0; f < n; f++) for (let v = 0; v < V; v++) perView[v].set(e.subarray((f * V + v) * K, (f * V + v + 1) * K), (f0 + f) * K);
      tf.dispose([X, err]);
    }
  } finally {
    disposeCameras(cams);
  }
  const meanError = new Float32Array(N * K);
  const ncams = new Uint8Array(N * K);
  const moved = new Float32Array(N * K).fill(NaN);
  for (let i = 0; i < N * K; i++) {
    let s = 0;
    let c = 0;
    for (let v = 0; v < V; v++) if (perView[v][i] === perView[v][i]) (s += perView[v][i]), c++;
    meanError[i] = c ? s / c : NaN;
    ncams[i] = c;
    if (i >= K)
      moved[i] = Math.hypot(
        points3d[3 * i] - points3d[3 * (i - K)],
        points3d[3 * i + 1] - points3d[3 * (i - K) + 1],
        points3d[3 * i + 2] - points3d[3 * (i - K) + 2],
      );
  }
  const metricFile = (file: string, stem: string, name: 'reprojection_error' | 'temporal_norm_3d', values32: Float32Array): FileMetrics => {
    const values = Float64Array.from(values32);
    return {
      file,
      stem,
      keypoints,
      index: first.index,
      kind: 'video',
      warnings: [],
      metrics: [{ name, values, epsilon: null, epsilonSource: null, stats: keypointStats(values, N, K, null) }],
    };
  };
  return either.right({
    views: sel.map((t, v) => metricFile(`${t.file} (${cameras[v].name})`, stemOf(t.file), 'reprojection_error', perView[v])),
    threeD: metricFile(`3-D (${cameras.map((c) => c.name).join(', ')})`, 'multiview', 'temporal_norm_3d', moved),
    points3d,
    meanError,
    ncams,
    keypoints,
    index: first.index,
  });
};

/** anipose's pose-3d layout (subset): an index column, then `{kp}_x, {kp}_y, {kp}_z, {kp}_error, {kp}_ncams` per keypoint. */
export const points3dCsv = (m: MultiviewMetrics): string => {
  const K = m.keypoints.length;
  const num = (v: number) => (v !== v ? '' : `${v}`);
  const head = ['', ...m.keypoints.flatMap((k) => ['x', 'y', 'z', 'error', 'ncams'].map((c) => `${k}_${c}`))].join(',');
  const lines = [head];
  for (let f = 0; f < m.index.length; f++) {
    const row = [/[",\n]/.test(m.index[f]) ? `"${m.index[f].replace(/"/g, '""')}"` : m.index[f]];
    for (let k = 0; k < K; k++) {
      const i = f * K + k;
      row.push(num(m.points3d[3 * i]), num(m.points3d[3 * i + 1]), num(m.points3d[3 * i + 2]), num(m.meanError[i]), String(m.ncams[i]));
    }
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
};
