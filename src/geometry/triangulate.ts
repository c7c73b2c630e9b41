import * as tf from '@tensorflow/tfjs';
import { viewsLast, type CameraTensors } from './cameraTensors.js';
import { nanWhereNot, presentXY, splitXY } from './undistort.js';
import { solveSym3 } from './solve3.js';

/** Newton steps after the least-squares start; 2 meet the vectors' float32 tolerances with 4–5× margin (README "Multi-camera geometry"). */
export const DLT_REFINE_STEPS = 2;

/** (..., ...views, K) → (..., ...views[:-1], K, lastView): the views being combined on the last axis. */
const lastViewLast = (x: tf.Tensor): tf.Tensor => {
  const perm = [...Array(x.rank).keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return x.transpose(perm);
};

const sumViews = (x: tf.Tensor): tf.Tensor => x.sum(-1);

/**
 * DLT on components: normalised x, y (..., ...views, K) → X, Y, Z (..., ...views[:-1], K) and
 * whether each point had ≥ 2 views. See `triangulate`.
 */
export const triangulateXY = (
  xIn: tf.Tensor,
  yIn: tf.Tensor,
  cameras: CameraTensors,
  weights?: tf.Tensor,
  steps = DLT_REFINE_STEPS,
): { X: tf.Tensor; Y: tf.Tensor; Z: tf.Tensor; ok: tf.Tensor } => {
  const cams = viewsLast(cameras);
  const [x0, y0] = [lastViewLast(xIn), lastViewLast(yIn)]; // (..., K, V)
  const w0 = weights ? lastViewLast(weights) : null;
  const present = presentXY(x0, y0);
  const valid = w0 ? present.logicalAnd(w0.greater(0)) : present;
  const ok = sumViews(valid.cast('float32')).greaterEqual(2); // (..., K)
  // a point with < 2 views gets all-zero rows (and B := I below): every branch stays finite
  const use = valid.logicalAnd(ok.expandDims(-1));
  const w = w0 ? tf.where(use, w0, tf.zerosLike(w0)) : use.cast('float32');
  const x = tf.where(use, x0, tf.zerosLike(x0));
  const y = tf.where(use, y0, tf.zerosLike(y0));
  const { R, t } = cams;
  // rows of A: w·(x·P₂ − P₀) and w·(y·P₂ − P₁); a = first three entries, a4 = the last
  const ax = [0, 1, 2].map((j) => x.mul(R[2][j]).sub(R[0][j]).mul(w));
  const ay = [0, 1, 2].map((j) => y.mul(R[2][j]).sub(R[1][j]).mul(w));
  const ax4 = x.mul(t[2]).sub(t[0]).mul(w);
  const ay4 = y.mul(t[2]).sub(t[1]).mul(w);
  const dot = (i: number, j: number) => sumViews(ax[i].mul(ax[j]).add(ay[i].mul(ay[j])));
  const notOk = tf.logicalNot(ok).cast('float32');
  const B = { s00: dot(0, 0).add(notOk), s01: dot(0, 1), s02: dot(0, 2), s11: dot(1, 1).add(notOk), s12: dot(1, 2), s22: dot(2, 2).add(notOk) };
  const b = [0, 1, 2].map((j) => sumViews(ax[j].mul(ax4).add(ay[j].mul(ay4))).neg()) as [tf.Tensor, tf.Tensor, tf.Tensor];
  let X = solveSym3(B, b);
  for (let i = 0; i < steps; i++) {
    const Xv = X.map((c) => c.expandDims(-1));
    const rx = ax[0].mul(Xv[0]).add(ax[1].mul(Xv[1])).add(ax[2].mul(Xv[2])).add(ax4); // (..., K, V)
    const ry = ay[0].mul(Xv[0]).add(ay[1].mul(Xv[1])).add(ay[2].mul(Xv[2])).add(ay4);
    const f = sumViews(rx.square().add(ry.square())).div(X[0].square().add(X[1].square()).add(X[2].square()).add(1));
    const g = [0, 1, 2].map((j) => sumViews(ax[j].mul(rx).add(ay[j].mul(ry))).sub(f.mul(X[j]))) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const d = solveSym3({ ...B, s00: B.s00.sub(f), s11: B.s11.sub(f), s22: B.s22.sub(f) }, g);
    X = [X[0].sub(d[0]), X[1].sub(d[1]), X[2].sub(d[2])];
  }
  const nan = nanWhereNot(ok);
  return { X: X[0].add(nan), Y: X[1].add(nan), Z: X[2].add(nan), ok };
};

/**
 * Linear (DLT) triangulation of undistorted normalised points (..., ...views, K, 2) seen by
 * `cams` (views shape (V), or (P, 2) for camera pairs) → (..., [P,] K, 3), over the last views
 * axis. A view takes part where its point is finite (and its weight > 0); fewer than 2 → NaN.
 *
 * Each view adds the rows x·P₂ − P₀ and y·P₂ − P₁ of A (P = [R | t]), multiplied by its
 * weight (as Iskakov et al.'s algebraic triangulation; weight 1 without `weights`). The DLT
 * point is the right singular vector of A for its smallest singular value, h = (X, 1)·s, i.e.
 * the minimiser of f(X) = ‖A₃X + a₄‖² / (‖X‖² + 1) (A = [A₃ | a₄]), whose stationary point solves
 * (A₃ᵀA₃ − f·I)·X = −A₃ᵀa₄. tfjs has no SVD or eigensolver, and float32 AᵀA loses the
 * precision the vectors need, so: start from least squares (f = 0), then Newton steps
 * X ← X − (A₃ᵀA₃ − f·I)⁻¹(A₃ᵀr − f·X) with the residual r = A₃X + a₄ taken from the rows (not
 * from AᵀA, which would cancel). Each 3×3 solve is closed-form (adjugate). Everything is
 * elementwise on (..., K, views) components plus sums over the views: static shapes, no
 * per-point loops, differentiable by autodiff. Missing views get weight 0 before any arithmetic.
 */
export const triangulate = (normalised: tf.Tensor, cams: CameraTensors, weights?: tf.Tensor, steps = DLT_REFINE_STEPS): tf.Tensor =>
  tf.tidy(() => {
    const [x, y] = splitXY(normalised);
    const r = triangulateXY(x, y, cams, weights, steps);
    return tf.stack([r.X, r.Y, r.Z], -1);
  });
