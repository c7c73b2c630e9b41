import * as tf from '@tensorflow/tfjs';

/** The norm's value: squares of x scaled by its largest magnitude, so nothing up to float32's range overflows. */
const scaledNorm = (x: tf.Tensor, axis: number): tf.Tensor => {
  const m = x.abs().max(axis, true);
  const scale = tf.where(m.greater(0), m, tf.onesLike(m));
  return x
    .div(scale)
    .square()
    .sum(axis)
    .sqrt()
    .mul(scale.squeeze([axis]));
};

/**
 * Euclidean norm over `axis` with the gradient x/‖x‖, and 0 (not NaN) where the norm is 0, as
 * the reference's `torch.linalg.norm` backward; a NaN input gives NaN in both. Coordinates up
 * to float32's range do not overflow (1e30 gives ~1e30, as the reference's float64 and the
 * fused kernels), in the value or the gradient.
 */
export const safeNorm = (x: tf.Tensor, axis: number): tf.Tensor => {
  const ax = axis < 0 ? x.rank + axis : axis;
  const f = tf.customGrad(((v: tf.Tensor, save: tf.GradSaveFunc) => {
    const n = scaledNorm(v, ax);
    save([v, n]);
    return {
      value: n,
      gradFunc: (dy: tf.Tensor, [xs, ns]: tf.Tensor[]) => {
        const nz = ns.expandDims(ax);
        const safe = tf.where(nz.greater(0), nz, tf.onesLike(nz));
        return dy.expandDims(ax).mul(xs.div(safe));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (v: tf.Tensor) => tf.Tensor;
  return f(x);
};
