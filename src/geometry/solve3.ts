import * as tf from '@tensorflow/tfjs';

const comps = (v: tf.Tensor): tf.Tensor[] => tf.unstack(v, v.rank - 1);

/** u × v over the last axis (size 3). */
export const cross = (u: tf.Tensor, v: tf.Tensor): tf.Tensor => {
  const [a, b, c] = comps(u);
  const [d, e, f] = comps(v);
  return tf.stack([b.mul(f).sub(c.mul(e)), c.mul(d).sub(a.mul(f)), a.mul(e).sub(b.mul(d))], -1);
};

/**
 * S⁻¹·v for symmetric S (..., 3, 3) and v (..., 3), batched and differentiable, in closed form:
 * with rows a, b, c of S, adj(S) has rows b×c, c×a, a×b and det S = a·(b×c).
 */
export const solveSymmetric3 = (S: tf.Tensor, v: tf.Tensor): tf.Tensor => {
  const [a, b, c] = tf.unstack(S, S.rank - 2);
  const bc = cross(b, c);
  const det = a.mul(bc).sum(-1, true);
  const adj = tf.stack([bc, cross(c, a), cross(a, b)], -2); // (..., 3, 3)
  return adj.mul(v.expandDims(-2)).sum(-1).div(det);
};
