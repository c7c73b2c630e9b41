import * as tf from '@tensorflow/tfjs';
import { cameraPairs, disposeCameras, pairCameras, type CameraTensors } from './cameraTensors.js';
import { triangulate } from './triangulate.js';
import { nanMedian } from '../ops/nanMedian.js';

/** (..., V, ...) → (..., P, 2, ...) along `axis` by slices (the wasm backend has no gradient for a 2-D gather). */
const byPairs = (x: tf.Tensor, pairs: readonly (readonly [number, number])[], axis: number): tf.Tensor => {
  const views = tf.unstack(x, axis);
  return tf.stack(pairs.map(([i, j]) => tf.stack([views[i], views[j]], axis)), axis);
};

/**
 * DLT from exactly two views, for every camera pair in combinations order ((0,1), (0,2), (1,2), …,
 * as the reference's project_camera_pairs_to_3d and aniposelib's triangulate(fast=True)):
 * undistorted normalised points (..., V, K, 2) → (..., P, K, 3); NaN where either view is missing.
 */
export const triangulatePairs = (normalised: tf.Tensor, cams: CameraTensors, weights?: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const V = cams.views[0];
    const pairs = cameraPairs(V);
    const pc = pairCameras(cams, pairs);
    const out = triangulate(byPairs(normalised, pairs, normalised.rank - 3), pc, weights ? byPairs(weights, pairs, weights.rank - 2) : undefined);
    disposeCameras(pc);
    return out;
  });

/** Per coordinate, the NaN-ignoring median over the pairs axis: (..., P, K, 3) → (..., K, 3). */
export const medianOfPairs = (pairPoints: tf.Tensor): tf.Tensor => nanMedian(pairPoints, pairPoints.rank - 3);
