import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import type { Camera } from '../config/calibration.js';
import { cameraPairs } from './cameraTensors.js';
import { rodrigues } from './rotation.js';

/**
 * Float64 plain-JS references of the geometry, one point at a time, written straight from the
 * formulas (../shared/golden/multiview/README.md) for property tests of the tensor versions.
 * Triangulation takes the SVD of A (ml-matrix), not the tensor version's Newton method.
 */
export type Point2 = readonly [number, number];
export type Point3 = readonly [number, number, number];

const missing2 = (p: readonly number[] | null): boolean => p === null || !Number.isFinite(p[0]) || !Number.isFinite(p[1]);

export const undistortRef = (p: Point2, cam: Camera, steps = 5): Point2 => {
  const [k1, k2, p1, p2, k3] = cam.distortions;
  const x0 = (p[0] - cam.matrix[0][2]) / cam.matrix[0][0];
  const y0 = (p[1] - cam.matrix[1][2]) / cam.matrix[1][1];
  let [x, y] = [x0, y0];
  for (let i = 0; i < steps; i++) {
    const r2 = x * x + y * y;
    const s = 1 / (1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2);
    if (s < 0) return [x0, y0];
    [x, y] = [(x0 - (2 * p1 * x * y + p2 * (r2 + 2 * x * x))) * s, (y0 - (p1 * (r2 + 2 * y * y) + 2 * p2 * x * y)) * s];
  }
  return [x, y];
};

export const projectRef = (X: Point3, cam: Camera): Point2 => {
  const R = rodrigues(cam.rotation);
  const c = [0, 1, 2].map((i) => R[i][0] * X[0] + R[i][1] * X[1] + R[i][2] * X[2] + cam.translation[i]);
  const [k1, k2, p1, p2, k3] = cam.distortions;
  const x = c[0] / c[2];
  const y = c[1] / c[2];
  const r2 = x * x + y * y;
  const radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2;
  const xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
  const yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
  return [cam.matrix[0][0] * xd + cam.matrix[0][2], cam.matrix[1][1] * yd + cam.matrix[1][2]];
};

/** DLT by SVD of A (rows x·P₂ − P₀, y·P₂ − P₁, each times its view's weight); null when < 2 views take part. */
export const triangulateRef = (normalised: readonly (Point2 | null)[], cams: readonly Camera[], weights?: readonly number[]): Point3 | null => {
  const rows: number[][] = [];
  normalised.forEach((p, v) => {
    const w = weights ? weights[v] : 1;
    if (missing2(p) || !(w > 0)) return;
    const R = rodrigues(cams[v].rotation);
    const P = R.map((r, i) => [...r, cams[v].translation[i]]);
    rows.push(
      P[2].map((a, j) => w * (p![0] * a - P[0][j])),
      P[2].map((a, j) => w * (p![1] * a - P[1][j])),
    );
  });
  if (rows.length < 4) return null;
  const svd = new SingularValueDecomposition(new Matrix(rows), { autoTranspose: true });
  const V = svd.rightSingularVectors;
  const s = svd.diagonal;
  const last = s.indexOf(Math.min(...s));
  const h = [0, 1, 2, 3].map((i) => V.get(i, last));
  return [h[0] / h[3], h[1] / h[3], h[2] / h[3]];
};

export const pairwiseRef = (normalised: readonly (Point2 | null)[], cams: readonly Camera[]): (Point3 | null)[] =>
  cameraPairs(cams.length).map(([i, j]) => triangulateRef([normalised[i], normalised[j]], [cams[i], cams[j]]));

/** numpy's nanmedian of a list (NaN when empty). */
export const nanMedianRef = (xs: readonly number[]): number => {
  const f = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (f.length === 0) return NaN;
  return (f[Math.floor((f.length - 1) / 2)] + f[Math.floor(f.length / 2)]) / 2;
};

export const medianOfPairsRef = (pairs: readonly (Point3 | null)[]): Point3 | null => {
  const m = [0, 1, 2].map((c) => nanMedianRef(pairs.map((p) => (p ? p[c] : NaN))));
  return m.some(Number.isNaN) ? null : [m[0], m[1], m[2]];
};

export const reprojectionErrorRef = (observed: Point2 | null, reprojected: Point2 | null): number =>
  missing2(observed) || missing2(reprojected) ? NaN : Math.hypot(observed![0] - reprojected![0], observed![1] - reprojected![1]);

/** The mean of the pair estimates that exist (null when none does). */
export const meanOfPairsRef = (pairs: readonly (Point3 | null)[]): Point3 | null => {
  const f = pairs.filter((p): p is Point3 => p?.every(Number.isFinite) === true);
  if (f.length === 0) return null;
  const m = [0, 1, 2].map((c) => f.reduce((s, p) => s + p[c], 0) / f.length);
  return [m[0], m[1], m[2]];
};
