import * as tf from '@tensorflow/tfjs';

/**
 * Euclidean norm over `axis` whose gradient is 0 (not NaN) where the norm is 0, as the
 * reference's `torch.linalg.norm` backward; a NaN input still gives NaN. sqrt is taken of a
 * value kept away from 0 and the result selected afterwards, so no 0·∞ reaches the gradient.
 */
export const safeNorm = (x: tf.Tensor, axis: number): tf.Tensor => {
  const s = x.square().sum(axis);
  const zero = s.equal(0);
  return tf.where(zero, tf.zerosLike(s), tf.where(zero, tf.onesLike(s), s).sqrt());
};
