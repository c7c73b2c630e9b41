import type * as tf from '@tensorflow/tfjs';

/** (B, 2K) → (B, K, 2): the reference's flat keypoint layout, one (x, y) row per keypoint. */
export const toPairs = (x: tf.Tensor): tf.Tensor => {
  const [b, c] = x.shape as number[];
  return x.reshape([b, c / 2, 2]);
};
