import * as tf from '@tensorflow/tfjs';

/**
 * `x` unchanged (a view), whose gradient becomes NaN in every entry when the scalar `of.loss`
 * is not finite at backprop: a non-finite loss gives an all-NaN gradient, masked entries
 * included, as the fused kernels do (README "How a pipeline runs"). `of.loss` is set once the
 * loss is computed; it lives until backprop ends (tf.grad disposes intermediates after it).
 */
export const nanGradientUnlessFinite = (x: tf.Tensor, of: { loss?: tf.Tensor }): tf.Tensor =>
  (
    tf.customGrad(((v: tf.Tensor) => ({
      value: v.reshape(v.shape),
      gradFunc: (dy: tf.Tensor) => dy.add(tf.where(tf.isFinite(of.loss!), tf.scalar(0), tf.scalar(NaN))),
    })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (v: tf.Tensor) => tf.Tensor
  )(x);
