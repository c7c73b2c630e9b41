import * as tf from '@tensorflow/tfjs';

/** Shared by one call's loss mark and input guards: set in backprop to 0 (finite loss) or NaN. */
export interface NaNGuard {
  flag?: tf.Tensor;
}

type Custom = Parameters<typeof tf.customGrad>[0];
const custom = (f: (v: tf.Tensor, save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor }) =>
  tf.customGrad(f as unknown as Custom) as unknown as (v: tf.Tensor) => tf.Tensor;

/**
 * The loss unchanged (a view). Its backward runs first: it records whether the loss (saved by
 * the engine until backprop ends) is finite, as 0 or NaN, and passes dy on plus that flag.
 * The flag is made inside backprop, so the engine disposes it when backprop ends.
 */
export const markLoss = (loss: tf.Tensor, g: NaNGuard): tf.Tensor =>
  custom((l, save) => {
    save([l]);
    return {
      value: l.reshape(l.shape),
      gradFunc: (dy, [saved]) => {
        g.flag = tf.where(tf.isFinite(saved), tf.scalar(0), tf.scalar(NaN));
        return dy.add(g.flag);
      },
    };
  })(loss);

/**
 * `x` unchanged (a view), whose gradient is NaN in every entry (masked ones too) when the loss
 * `markLoss` marked is not finite: the tfjs-ops path's side of the non-finite rule (README
 * "How a pipeline runs"); the fused kernels do the same from their value.
 */
export const guardInput = (x: tf.Tensor, g: NaNGuard): tf.Tensor =>
  custom((v) => ({ value: v.reshape(v.shape), gradFunc: (dy) => (g.flag ? dy.add(g.flag) : dy) }))(x);
