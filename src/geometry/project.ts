import * as tf from '@tensorflow/tfjs';
import type { CameraTensors } from './cameraTensors.js';

/** (..., K, 3) world points → (..., ...views, K, 3) camera coordinates x_c = R·X + t. */
export const toCamera = (points: tf.Tensor, cams: CameraTensors): tf.Tensor => {
  let X = points.expandDims(-2); // (..., K, 1, 3)
  for (let i = 0; i < cams.views.length; i++) X = X.expandDims(-4); // (..., 1.., K, 1, 3)
  return X.mul(cams.R).sum(-1).add(cams.t);
};

/**
 * Project world points (..., K, 3) into every view, with distortion: (..., ...views, K, 2)
 * pixels. x = x_c/z_c, radial 1 + k1r² + k2r⁴ + k3r⁶, tangential p1, p2, u = fx·x_d + cx
 * (skew unused). A point behind a camera is projected anyway (as OpenCV). Missing (non-finite)
 * points give NaN with zero gradients.
 */
export const project = (points: tf.Tensor, cams: CameraTensors): tf.Tensor =>
  tf.tidy(() => {
    const ok = tf.isFinite(points).all(-1, true); // (..., K, 1)
    const safe = tf.where(ok.logicalAnd(tf.onesLike(points).cast('bool')), points, tf.zerosLike(points));
    const xc = toCamera(safe, cams);
    const [cx, cy, cz] = tf.split(xc, 3, -1).map((a) => a.squeeze([-1]));
    const x = cx.div(cz);
    const y = cy.div(cz);
    const r2 = x.square().add(y.square());
    const radial = r2.mul(r2.mul(r2.mul(cams.k3).add(cams.k2)).add(cams.k1)).add(1);
    const xy = x.mul(y);
    const xd = x.mul(radial).add(xy.mul(cams.p1).mul(2)).add(r2.add(x.square().mul(2)).mul(cams.p2));
    const yd = y.mul(radial).add(r2.add(y.square().mul(2)).mul(cams.p1)).add(xy.mul(cams.p2).mul(2));
    const uv = tf.stack([xd.mul(cams.fx).add(cams.cx), yd.mul(cams.fy).add(cams.cy)], -1);
    let okv = ok; // (..., K, 1) → (..., 1.., K, 1)
    for (let i = 0; i < cams.views.length; i++) okv = okv.expandDims(-3);
    return tf.where(okv.logicalAnd(tf.onesLike(uv).cast('bool')), uv, tf.fill(uv.shape, NaN));
  });
