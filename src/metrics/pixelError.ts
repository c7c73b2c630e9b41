import type * as tf from '@tensorflow/tfjs';
import { applyCompute, buildCompute } from '../steps/evaluate.js';

const step = buildCompute(
  { compute: 'euclidean', of: ['keypoints_true', 'keypoints_pred'] },
  { keypoints_true: 'points', keypoints_pred: 'points' },
  'pixel_error',
);

/** Per frame and keypoint Euclidean distance (N, K) between labels and predictions (N, K, 2); NaN where either is NaN. */
export const pixelError = (truth: tf.Tensor, pred: tf.Tensor): tf.Tensor => applyCompute(step, [truth, pred]);
