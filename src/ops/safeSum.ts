import * as tf from '@tensorflow/tfjs';
import { blockSum } from './blockSum.js';

/**
 * Sum of all elements (in blocks, src/ops/blockSum.ts), exactly 0 for an empty tensor and
 * still connected to it for gradients. (The wasm backend's Sum of a size-0 tensor returns
 * uninitialised memory.)
 */
export const safeSum = (v: tf.Tensor): tf.Scalar => (v.size > 0 ? blockSum(v) : tf.concat([v.reshape([-1]), tf.zeros([1])]).sum()) as tf.Scalar;
