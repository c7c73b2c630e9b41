import * as tf from '@tensorflow/tfjs';
import { presentXY, splitXY } from './undistort.js';

/**
 * Pixel distance on components (all (..., V, K)); NaN where either point is missing (zero
 * gradients there), gradient 0 at distance 0 (as torch.linalg.norm's backward).
 */
export const reprojectionErrorXY = (u: tf.Tensor, v: tf.Tensor, ru: tf.Tensor, rv: tf.Tensor): tf.Tensor => {
  const ok = presentXY(u, v).logicalAnd(presentXY(ru, rv));
  const zero = tf.zerosLike(u);
  const s = tf
    .where(ok, u.sub(ru), zero)
    .square()
    .add(tf.where(ok, v.sub(rv), zero).square());
  const isZero = s.equal(0);
  const d = tf.where(isZero, zero, tf.where(isZero, tf.onesLike(s), s).sqrt());
  return tf.where(ok, d, tf.fill(d.shape, NaN));
};

/**
 * Pixel distance ‖observed − reprojected‖₂ per view and keypoint: (..., V, K, 2) ×2 → (..., V, K);
 * NaN where either point is missing (with zero gradients there), gradient 0 at distance 0.
 */
export const reprojectionError = (observed: tf.Tensor, reprojected: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const [u, v] = splitXY(observed);
    const [ru, rv] = splitXY(reprojected);
    return reprojectionErrorXY(u, v, ru, rv);
  });

/** Mean over the views with a finite error, (..., V, K) → (..., K); NaN when fewer than 2 views have one (aniposelib's mean=True). */
export const meanReprojectionError = (errors: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const ok = tf.isFinite(errors);
    const n = ok.cast('float32').sum(-2);
    const s = tf.where(ok, errors, tf.zerosLike(errors)).sum(-2);
    return tf.where(n.greaterEqual(2), s.div(tf.maximum(n, 1)), tf.fill(s.shape, NaN));
  });
