import * as tf from '@tensorflow/tfjs';

/**
 * `valid > 0 ? x : 0`, NaN-safe (a masked NaN becomes 0, and its gradient 0). The condition
 * is widened to x's shape by a broadcasting add first: tfjs broadcasts a `where` condition
 * with Tile, which the wasm backend runs in plain JS (5–10× slower on heatmap shapes).
 */
export const keepValid = (valid: tf.Tensor, x: tf.Tensor): tf.Tensor => {
  const same = valid.rank === x.rank && valid.shape.every((d, i) => d === x.shape[i]);
  const full = same ? valid : valid.add(tf.zeros(x.shape));
  return tf.where(full.greater(0), x, tf.zerosLike(x));
};
