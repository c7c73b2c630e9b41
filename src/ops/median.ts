import * as tf from '@tensorflow/tfjs';

/**
 * Median over the last axis (numpy's: the mean of the two middle values for an even count),
 * differentiable: the gradient goes to the middle element(s), shared among ties. tfjs has no
 * median op and no TopK gradient, so the backward pass is written out.
 */
export const medianLastAxis: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const n = x.shape[x.rank - 1];
  const sorted = tf.topk(x, n).values; // descending
  const lo = sorted.slice([...x.shape.slice(0, -1).map(() => 0), Math.floor((n - 1) / 2)], [...x.shape.slice(0, -1), 1]);
  const hi = sorted.slice([...x.shape.slice(0, -1).map(() => 0), Math.floor(n / 2)], [...x.shape.slice(0, -1), 1]);
  const value = lo.add(hi).mul(0.5);
  save([x, lo, hi]);
  return {
    value: value.squeeze([-1]),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, l, h] = saved;
      const share = (m: tf.Tensor) => m.toFloat().div(m.toFloat().sum(-1, true));
      const w = share(xs.equal(l))
        .add(share(xs.equal(h)))
        .mul(0.5);
      return w.mul(dy.expandDims(-1));
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
