import * as tf from '@tensorflow/tfjs';
import { LossInputError } from '../config/issues.js';
import { applyCompute, buildCompute } from '../steps/evaluate.js';

const step = buildCompute({ compute: 'temporal_norm', of: 'keypoints_pred' }, {}, 'temporal_norm');

/**
 * Distance each keypoint moved since the previous frame, (N, K), the first row NaN: the
 * temporal loss's compute step without epsilon, mask or reduction. Accepts (N, 2K) or (N, K, 2).
 */
export const temporalNorm = (pred: tf.Tensor): tf.Tensor => {
  const n = pred.shape[0];
  if (n < 2) throw new LossInputError(`temporal_norm: needs at least 2 frames, got ${n}`);
  const flat = pred.rank === 3 ? pred.reshape([n, -1]) : pred;
  const moved = applyCompute(step, [flat]);
  return tf.tidy(() => tf.concat([tf.fill([1, moved.shape[1]!], NaN), moved], 0)).toFloat();
};
