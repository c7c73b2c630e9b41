import * as tf from '@tensorflow/tfjs';
import type { CameraTensors } from './cameraTensors.js';

/** OpenCV `undistortPoints`' default stopping rule: exactly 5 fixed-point steps (not converged where distortion is strong). */
export const UNDISTORT_STEPS = 5;

/** x, y of the last axis (size 2) as two tensors without it. */
export const splitXY = (p: tf.Tensor): [tf.Tensor, tf.Tensor] => {
  const [x, y] = tf.split(p, 2, -1);
  return [x.squeeze([-1]), y.squeeze([-1])];
};

/** 1 + k1r² + k2r⁴ + k3r⁶ in Horner form, leaving out the terms no camera has (the sum is the same). */
export const radialPoly = (r2: tf.Tensor, cams: CameraTensors, k2 = cams.terms.k2, k3 = cams.terms.k3): tf.Tensor => {
  let p = k3 ? r2.mul(cams.k3).add(cams.k2) : k2 ? cams.k2 : null;
  p = p ? r2.mul(p).add(cams.k1) : cams.k1;
  return r2.mul(p).add(1);
};

/** 0 where `ok`, NaN elsewhere: added to a value, marks it missing without a broadcast select. */
export const nanWhereNot = (ok: tf.Tensor): tf.Tensor => tf.where(ok, tf.zeros(ok.shape), tf.fill(ok.shape, NaN));

/** A point (x, y components) is present when both are finite. */
export const presentXY = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.isFinite(x).logicalAnd(tf.isFinite(y));

/**
 * Pixel components (B, V, K) with the points of keypoints present in fewer than 2 views set to NaN:
 * no triangulation uses them, and leaving them out before the undistortion keeps a huge finite
 * coordinate there (whose square overflows float32) from giving a NaN gradient — it gets 0, as in
 * the fused kernel.
 */
export const dropUntriangulated = (u: tf.Tensor, v: tf.Tensor): [tf.Tensor, tf.Tensor] => {
  const enough = presentXY(u, v).cast('int32').sum(1, true).greaterEqual(2).broadcastTo(u.shape);
  const nan = tf.fill(u.shape, NaN);
  return [tf.where(enough, u, nan), tf.where(enough, v, nan)];
};

/**
 * Undistortion on components: pixels u, v (..., ...views, K) → normalised x, y (same shape);
 * missing points (non-finite) stay NaN, with zero gradients. See `undistort`.
 */
export const undistortXY = (u: tf.Tensor, v: tf.Tensor, cams: CameraTensors, steps = UNDISTORT_STEPS): [tf.Tensor, tf.Tensor] => {
  const ok = presentXY(u, v);
  const x0 = tf.where(ok, u, tf.zerosLike(u)).sub(cams.cx).div(cams.fx);
  const y0 = tf.where(ok, v, tf.zerosLike(v)).sub(cams.cy).div(cams.fy);
  let x = x0;
  let y = y0;
  let frozen: tf.Tensor | null = null;
  const { k2, k3, tangential } = cams.terms;
  for (let i = 0; i < steps; i++) {
    const x2 = x.square();
    const y2 = y.square();
    const r2 = x2.add(y2);
    const s = tf.reciprocal(radialPoly(r2, cams, k2, k3));
    // OpenCV's guard: once s < 0 the result is (x0, y0)
    frozen = frozen ? frozen.logicalOr(s.less(0)) : s.less(0);
    if (tangential) {
      const xy2 = x.mul(y).mul(2);
      const dx = xy2.mul(cams.p1).add(r2.add(x2.mul(2)).mul(cams.p2));
      const dy = r2.add(y2.mul(2)).mul(cams.p1).add(xy2.mul(cams.p2));
      x = tf.where(frozen, x0, x0.sub(dx).mul(s));
      y = tf.where(frozen, y0, y0.sub(dy).mul(s));
    } else {
      x = tf.where(frozen, x0, x0.mul(s));
      y = tf.where(frozen, y0, y0.mul(s));
    }
  }
  const nan = nanWhereNot(ok);
  return [x.add(nan), y.add(nan)];
};

/**
 * Pixels (..., ...views, K, 2) → undistorted normalised coordinates (same shape), OpenCV's
 * 5-coefficient model inverted by its fixed-point iteration: x0 = (u − cx)/fx, then `steps`
 * times r² = x² + y², s = 1/(1 + k1r² + k2r⁴ + k3r⁶), x ← (x0 − Δx)·s, y ← (y0 − Δy)·s with
 * the tangential terms Δ. OpenCV's guard (s < 0 → the result is (x0, y0)) is kept, as a
 * frozen-point flag so shapes stay static. Missing points stay NaN and get zero gradients.
 */
export const undistort = (points: tf.Tensor, cams: CameraTensors, steps = UNDISTORT_STEPS): tf.Tensor =>
  tf.tidy(() => {
    const [u, v] = splitXY(points);
    const [x, y] = undistortXY(u, v, cams, steps);
    return tf.stack([x, y], -1);
  });
