import * as tf from '@tensorflow/tfjs';
import type { CameraTensors } from './cameraTensors.js';
import { finitePoints, splitXY } from './undistort.js';
import { solveSymmetric3 } from './solve3.js';

/** Newton steps after the least-squares start; 2 meet the vectors' float32 tolerances with 4–5× margin (README "Geometry"). */
export const DLT_REFINE_STEPS = 2;

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
 * from AᵀA, which would cancel). Each 3×3 solve is closed-form (adjugate): static shapes, no
 * per-point loops, differentiable by autodiff. Missing views get weight 0 before any arithmetic.
 */
export const triangulate = (normalised: tf.Tensor, cams: CameraTensors, weights?: tf.Tensor, steps = DLT_REFINE_STEPS): tf.Tensor =>
  tf.tidy(() => {
    const present = finitePoints(normalised); // (..., views, K)
    const valid = weights ? present.logicalAnd(weights.greater(0)) : present;
    const vAxis = present.rank - 2;
    const ok = valid.cast('float32').sum(vAxis).greaterEqual(2); // (..., K)
    // a point with < 2 views gets all-zero rows (B := I below): every branch stays finite
    const use = valid.logicalAnd(ok.expandDims(vAxis));
    const w = weights ? tf.where(use, weights, tf.zerosLike(weights)) : use.cast('float32');
    const [x, y] = splitXY(tf.where(use.expandDims(-1), normalised, tf.zerosLike(normalised)));
    const [R0, R1, R2] = tf.unstack(cams.R, cams.R.rank - 2); // (views, 1, 3)
    const [t0, t1, t2] = tf.unstack(cams.t, cams.t.rank - 1); // (views, 1)
    const w3 = w.expandDims(-1);
    const rx3 = x.expandDims(-1).mul(R2).sub(R0).mul(w3); // (..., views, K, 3)
    const ry3 = y.expandDims(-1).mul(R2).sub(R1).mul(w3);
    const rx4 = x.mul(t2).sub(t0).mul(w); // (..., views, K)
    const ry4 = y.mul(t2).sub(t1).mul(w);
    const rows3 = tf.stack([rx3, ry3], -2); // (..., views, K, 2, 3)
    const rows4 = tf.stack([rx4, ry4], -1); // (..., views, K, 2)
    const eye = tf.eye(3);
    const outer = rows3.expandDims(-1).mul(rows3.expandDims(-2)); // (..., views, K, 2, 3, 3)
    const B = tf.where(ok.expandDims(-1).expandDims(-1), outer.sum([vAxis, outer.rank - 3]), eye); // (..., K, 3, 3)
    const b = rows3.mul(rows4.expandDims(-1)).sum([vAxis, rows3.rank - 2]); // (..., K, 3)
    let X = solveSymmetric3(B, b.neg());
    for (let i = 0; i < steps; i++) {
      const Xb = X.expandDims(-2).expandDims(vAxis); // (..., 1, K, 1, 3)
      const r = rows3.mul(Xb).sum(-1).add(rows4); // (..., views, K, 2)
      const f = r.square().sum([vAxis, r.rank - 1]).div(X.square().sum(-1).add(1)).expandDims(-1); // (..., K, 1)
      const g = rows3.mul(r.expandDims(-1)).sum([vAxis, rows3.rank - 2]).sub(f.mul(X));
      X = X.sub(solveSymmetric3(B.sub(f.expandDims(-1).mul(eye)), g));
    }
    return tf.where(ok.expandDims(-1), X, tf.fill(X.shape, NaN));
  });
