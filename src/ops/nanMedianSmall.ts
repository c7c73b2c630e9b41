import * as tf from '@tensorflow/tfjs';

/** Larger than any value a median is taken of; a missing value sorts last as this. */
const LAST = 1e30;

/** The i-th slice along `axis`, without the axis (a slice, whose gradient is a pad: no unstack). */
const at = (x: tf.Tensor, axis: number, i: number): tf.Tensor => {
  const begin = x.shape.map((_, d) => (d === axis ? i : 0));
  const size = x.shape.map((s, d) => (d === axis ? 1 : s));
  return x.slice(begin, size).squeeze([axis]);
};

/**
 * NaN-ignoring median over `axis` (numpy's nanmedian: the mean of the two middle finite values
 * for an even count; NaN when none is finite) by a sorting network: odd–even transposition sort
 * of the n slices with elementwise minimum / maximum (the gradient goes to the middle
 * element(s) through min/max), missing values sorted last, then the middle chosen by the count
 * of finite values. O(n²) elementwise ops on slices, meant for short axes (camera pairs);
 * far fewer and smaller ops than `nanMedian`'s pairwise ranks.
 */
export const nanMedianSmall = (x: tf.Tensor, axis: number): tf.Tensor =>
  tf.tidy(() => {
    const ax = axis < 0 ? axis + x.rank : axis;
    const n = x.shape[ax];
    const finite = tf.isFinite(x);
    const m = finite.cast('float32').sum(ax); // finite count per output element
    const keyed = tf.where(finite, x, tf.fill(x.shape, LAST));
    const s = Array.from({ length: n }, (_, i) => at(keyed, ax, i));
    for (let round = 0; round < n; round++)
      for (let i = round % 2; i + 1 < n; i += 2) {
        const lo = tf.minimum(s[i], s[i + 1]);
        s[i + 1] = tf.maximum(s[i], s[i + 1]);
        s[i] = lo;
      }
    // the middle of the m finite values: indices ⌊(m−1)/2⌋ and ⌊m/2⌋, each weighted ½
    const lo = m.sub(1).div(2).floor();
    const hi = m.div(2).floor();
    let med: tf.Tensor = tf.zerosLike(m);
    for (let i = 0; i < n; i++) med = med.add(s[i].mul(lo.equal(i).cast('float32').add(hi.equal(i).cast('float32')).mul(0.5)));
    return tf.where(m.greater(0), med, tf.fill(m.shape, NaN));
  });
