import * as tf from '@tensorflow/tfjs';
import type { CameraTensors } from './cameraTensors.js';

/** OpenCV `undistortPoints`' default stopping rule: exactly 5 fixed-point steps (not converged where distortion is strong). */
export const UNDISTORT_STEPS = 5;

/** x, y of the last axis (size 2) as two tensors without it. */
export const splitXY = (p: tf.Tensor): [tf.Tensor, tf.Tensor] => {
  const [x, y] = tf.split(p, 2, -1);
  return [x.squeeze([-1]), y.squeeze([-1])];
};

/** A point with a non-finite coordinate is missing. */
export const finitePoints = (p: tf.Tensor): tf.Tensor => tf.isFinite(p).all(-1);

/**
 * Pixels (..., ...views, K, 2) → undistorted normalised coordinates (same shape), OpenCV's
 * 5-coefficient model inverted by its fixed-point iteration: x0 = (u − cx)/fx, then `steps`
 * times r² = x² + y², s = 1/(1 + k1r² + k2r⁴ + k3r⁶), x ← (x0 − Δx)·s, y ← (y0 − Δy)·s with
 * the tangential terms Δ. OpenCV's guard (s < 0 → the result is (x0, y0)) is kept, as a
 * frozen-point flag so shapes stay static. Missing points stay NaN and get zero gradients.
 */
export const undistort = (points: tf.Tensor, cams: CameraTensors, steps = UNDISTORT_STEPS): tf.Tensor =>
  tf.tidy(() => {
    const ok = finitePoints(points);
    const safe = tf.where(ok.expandDims(-1).logicalAnd(tf.onesLike(points).cast('bool')), points, tf.zerosLike(points));
    const [u, v] = splitXY(safe);
    const x0 = u.sub(cams.cx).div(cams.fx);
    const y0 = v.sub(cams.cy).div(cams.fy);
    let x = x0;
    let y = y0;
    let frozen: tf.Tensor = tf.zerosLike(x0).cast('bool');
    for (let i = 0; i < steps; i++) {
      const r2 = x.square().add(y.square());
      const s = tf.onesLike(r2).div(r2.mul(r2.mul(r2.mul(cams.k3).add(cams.k2)).add(cams.k1)).add(1));
      const xy = x.mul(y);
      const dx = xy.mul(cams.p1).mul(2).add(r2.add(x.square().mul(2)).mul(cams.p2));
      const dy = r2.add(y.square().mul(2)).mul(cams.p1).add(xy.mul(cams.p2).mul(2));
      frozen = frozen.logicalOr(s.less(0));
      x = tf.where(frozen, x0, x0.sub(dx).mul(s));
      y = tf.where(frozen, y0, y0.sub(dy).mul(s));
    }
    const out = tf.stack([x, y], -1);
    return tf.where(ok.expandDims(-1).logicalAnd(tf.onesLike(out).cast('bool')), out, tf.fill(out.shape, NaN));
  });
