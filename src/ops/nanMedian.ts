import * as tf from '@tensorflow/tfjs';

/**
 * NaN-ignoring median over `axis` (numpy's nanmedian: the mean of the two middle finite values
 * for an even count; NaN when none is finite). Static shapes and differentiable without a
 * custom gradient: each element's rank among the finite values is counted by pairwise
 * comparison (ties broken by position), and the median is Σ selectᵢ·xᵢ with a constant 0/½/1
 * selection, so the gradient goes to the middle element(s). O(n²) in the axis length: meant
 * for short axes (camera pairs).
 */
export const nanMedian = (x: tf.Tensor, axis: number): tf.Tensor =>
  tf.tidy(() => {
    const ax = axis < 0 ? axis + x.rank : axis;
    const n = x.shape[ax];
    const finite = tf.isFinite(x);
    const safe = tf.where(finite, x, tf.zerosLike(x));
    const key = tf.where(finite, x, tf.fill(x.shape, Infinity)); // missing values rank last
    const a = key.expandDims(ax + 1); // element i along ax, compared with j along ax + 1
    const b = key.expandDims(ax);
    const pos = tf.range(0, n);
    const before = pos.expandDims(1).greater(pos.expandDims(0)); // j < i
    const shape = Array.from({ length: x.rank + 1 }, (_, d) => (d === ax || d === ax + 1 ? n : 1));
    const lessOrTieBefore = b.less(a).logicalOr(b.equal(a).logicalAnd(before.reshape(shape)));
    const rank = lessOrTieBefore.cast('float32').sum(ax + 1); // x's shape
    const m = finite.cast('float32').sum(ax, true);
    const lo = m.sub(1).div(2).floor();
    const hi = m.div(2).floor();
    const select = rank.equal(lo).cast('float32').add(rank.equal(hi).cast('float32')).mul(0.5).mul(finite.cast('float32'));
    const med = safe.mul(select).sum(ax);
    return tf.where(m.squeeze([ax]).greater(0), med, tf.fill(med.shape, NaN));
  });
