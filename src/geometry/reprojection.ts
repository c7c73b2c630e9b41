import * as tf from '@tensorflow/tfjs';
import { safeNorm } from '../ops/safeNorm.js';
import { finitePoints } from './undistort.js';

/**
 * Pixel distance ‖observed − reprojected‖₂ per view and keypoint: (..., V, K, 2) ×2 → (..., V, K);
 * NaN where either point is missing (with zero gradients there), gradient 0 at distance 0.
 */
export const reprojectionError = (observed: tf.Tensor, reprojected: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const ok = finitePoints(observed).logicalAnd(finitePoints(reprojected));
    const okc = ok.expandDims(-1);
    const d = tf.where(okc, observed, tf.zerosLike(observed)).sub(tf.where(okc, reprojected, tf.zerosLike(reprojected)));
    const e = safeNorm(d, -1);
    return tf.where(ok, e, tf.fill(e.shape, NaN));
  });

/** Mean over the views with a finite error, (..., V, K) → (..., K); NaN when fewer than 2 views have one (aniposelib's mean=True). */
export const meanReprojectionError = (errors: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const ok = tf.isFinite(errors);
    const n = ok.cast('float32').sum(-2);
    const s = tf.where(ok, errors, tf.zerosLike(errors)).sum(-2);
    return tf.where(n.greaterEqual(2), s.div(tf.maximum(n, 1)), tf.fill(s.shape, NaN));
  });
