import * as tf from '@tensorflow/tfjs';
import { nanMedian } from '../ops/nanMedian.js';
import { nanMedianSmall } from '../ops/nanMedianSmall.js';
import { type CameraTensors, cameraPairs, pairCameras } from './cameraTensors.js';
import { triangulateXY } from './triangulate.js';
import { splitXY } from './undistort.js';

/** (..., V, ...) → (..., P, 2, ...) along `axis` by slices (the wasm backend has no gradient for a 2-D gather). */
const byPairs = (x: tf.Tensor, pairs: readonly (readonly [number, number])[], axis: number): tf.Tensor => {
  const views = tf.unstack(x, axis);
  return tf.stack(
    pairs.map(([i, j]) => tf.stack([views[i], views[j]], axis)),
    axis,
  );
};

/**
 * Pairwise DLT on components: normalised x, y (..., V, K) → X, Y, Z (..., P, K), one triangulation
 * from exactly two views per camera pair (combinations order); NaN where either view is missing.
 */
export const triangulatePairsXY = (x: tf.Tensor, y: tf.Tensor, cams: CameraTensors, weights?: tf.Tensor): { X: tf.Tensor; Y: tf.Tensor; Z: tf.Tensor } => {
  const pairs = cameraPairs(cams.views[0]);
  const pc = pairCameras(cams, pairs);
  const ax = x.rank - 2;
  return triangulateXY(byPairs(x, pairs, ax), byPairs(y, pairs, ax), pc, weights ? byPairs(weights, pairs, ax) : undefined);
};

/** NaN-ignoring median over the pairs axis of components (..., P, K) → (..., K), the three coordinates in one pass; NaN in all three where any is. */
export const medianOfPairsXYZ = (X: tf.Tensor, Y: tf.Tensor, Z: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] => {
  const k = X.shape[X.rank - 1];
  const med = nanMedianSmall(tf.concat([X, Y, Z], -1), X.rank - 2); // (..., 3K)
  const [mx, my, mz] = tf.split(med, [k, k, k], -1);
  const ok = tf.isFinite(mx).logicalAnd(tf.isFinite(my)).logicalAnd(tf.isFinite(mz));
  const pad = tf.where(ok, tf.zeros(ok.shape), tf.fill(ok.shape, NaN));
  return [mx.add(pad), my.add(pad), mz.add(pad)];
};

/**
 * DLT from exactly two views, for every camera pair in combinations order ((0,1), (0,2), (1,2), …,
 * as the reference's project_camera_pairs_to_3d and aniposelib's triangulate(fast=True)):
 * undistorted normalised points (..., V, K, 2) → (..., P, K, 3); NaN where either view is missing.
 */
export const triangulatePairs = (normalised: tf.Tensor, cams: CameraTensors, weights?: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const [x, y] = splitXY(normalised);
    const r = triangulatePairsXY(x, y, cams, weights);
    return tf.stack([r.X, r.Y, r.Z], -1);
  });

/** Per coordinate, the NaN-ignoring median over the pairs axis: (..., P, K, 3) → (..., K, 3). */
export const medianOfPairs = (pairPoints: tf.Tensor): tf.Tensor => nanMedian(pairPoints, pairPoints.rank - 3);

/**
 * NaN-ignoring mean over the pairs axis of components (..., P, K) → (..., K), the three
 * coordinates together: a pair counts where all three are finite; no such pair → NaN in all
 * three (zero gradients there). On finite pairs, the reference's `torch.mean(keypoints_pred_3d, dim=1)`.
 */
export const meanOfPairsXYZ = (X: tf.Tensor, Y: tf.Tensor, Z: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] => {
  const ax = X.rank - 2;
  const ok = tf.isFinite(X).logicalAnd(tf.isFinite(Y)).logicalAnd(tf.isFinite(Z));
  const n = ok.cast('float32').sum(ax);
  const some = n.greater(0);
  const pad = tf.where(some, tf.zeros(n.shape), tf.fill(n.shape, NaN));
  const inv = tf.where(some, tf.onesLike(n).div(tf.maximum(n, 1)), tf.zerosLike(n));
  const mean = (c: tf.Tensor) => tf.where(ok, c, tf.zerosLike(c)).sum(ax).mul(inv).add(pad);
  return [mean(X), mean(Y), mean(Z)];
};
