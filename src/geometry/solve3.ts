import * as tf from '@tensorflow/tfjs';

/** The 6 entries of a symmetric 3×3 matrix, each a tensor of the batch shape. */
export interface Sym3 {
  readonly s00: tf.Tensor;
  readonly s01: tf.Tensor;
  readonly s02: tf.Tensor;
  readonly s11: tf.Tensor;
  readonly s12: tf.Tensor;
  readonly s22: tf.Tensor;
}

/**
 * A power of two per system bringing its largest entry into [1, 2) (1 where that entry is 0 or not
 * finite). Multiplying by a power of two is exact, so the solve below gives the same bits as without
 * it wherever nothing overflowed — and the determinant (cubic in the entries) no longer overflows
 * float32 once the entries pass ~1e12 (predictions ~1e9 px from a camera's centre did).
 */
const exactScale = (S: Sym3): tf.Tensor => {
  const m = [S.s01, S.s02, S.s11, S.s12, S.s22].reduce((a, b) => tf.maximum(a, b.abs()), S.s00.abs());
  const usable = m.greater(0).logicalAnd(tf.isFinite(m));
  const e = tf.floor(tf.log(tf.where(usable, m, tf.onesLike(m))).div(Math.LN2));
  return tf.where(usable, tf.pow(tf.scalar(2), e.neg()), tf.onesLike(m));
};

/**
 * S⁻¹·v for a batch of symmetric 3×3 S and 3-vectors v given by components, in closed form
 * (adjugate / determinant) after an exact power-of-two scaling of S and v: elementwise ops only,
 * static shapes. Not for autodiff (the scale is piecewise constant): its callers differentiate
 * through their own written-out gradients.
 */
export const solveSym3 = (unscaled: Sym3, vIn: readonly [tf.Tensor, tf.Tensor, tf.Tensor]): [tf.Tensor, tf.Tensor, tf.Tensor] => {
  const k = exactScale(unscaled);
  const [s00, s01, s02, s11, s12, s22] = [unscaled.s00, unscaled.s01, unscaled.s02, unscaled.s11, unscaled.s12, unscaled.s22].map((x) => x.mul(k));
  const v = vIn.map((x) => x.mul(k));
  const c00 = s11.mul(s22).sub(s12.square());
  const c01 = s02.mul(s12).sub(s01.mul(s22));
  const c02 = s01.mul(s12).sub(s02.mul(s11));
  const c11 = s00.mul(s22).sub(s02.square());
  const c12 = s01.mul(s02).sub(s00.mul(s12));
  const c22 = s00.mul(s11).sub(s01.square());
  const det = s00.mul(c00).add(s01.mul(c01)).add(s02.mul(c02));
  const [a, b, c] = v;
  return [
    c00.mul(a).add(c01.mul(b)).add(c02.mul(c)).div(det),
    c01.mul(a).add(c11.mul(b)).add(c12.mul(c)).div(det),
    c02.mul(a).add(c12.mul(b)).add(c22.mul(c)).div(det),
  ];
};
