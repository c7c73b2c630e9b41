import * as tf from '@tensorflow/tfjs';

/**
 * relu that keeps NaN, as PyTorch's: the wasm backend's Relu turns a NaN whose sign bit is set
 * (0·∞ and ∞ − ∞ give one) into 0, which would hide an unmasked NaN loss.
 */
export const reluKeepNaN = (x: tf.Tensor): tf.Tensor => tf.where(tf.isNaN(x), x, tf.relu(x));
