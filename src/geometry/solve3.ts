import type * as tf from '@tensorflow/tfjs';

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
 * S⁻¹·v for a batch of symmetric 3×3 S and 3-vectors v given by components, in closed form
 * (adjugate / determinant): elementwise ops only, differentiable, static shapes.
 */
export const solveSym3 = (S: Sym3, v: readonly [tf.Tensor, tf.Tensor, tf.Tensor]): [tf.Tensor, tf.Tensor, tf.Tensor] => {
  const { s00, s01, s02, s11, s12, s22 } = S;
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
