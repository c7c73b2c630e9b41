import * as tf from '@tensorflow/tfjs';
import type { CameraTensors } from './cameraTensors.js';
import { nanWhereNot, radialPoly } from './undistort.js';

/** Components X, Y, Z (..., K) → (..., ...views, K) components: broadcast over the view axes. */
const perView = (c: tf.Tensor, cams: CameraTensors): tf.Tensor => {
  let out = c;
  for (let i = 0; i < cams.views.length; i++) out = out.expandDims(-2);
  return out;
};

/**
 * Projection on components: world X, Y, Z (..., K) → pixels u, v (..., ...views, K). Missing
 * (non-finite) points give NaN with zero gradients. See `project`.
 */
export const projectXYZ = (X: tf.Tensor, Y: tf.Tensor, Z: tf.Tensor, cams: CameraTensors): [tf.Tensor, tf.Tensor] => {
  const ok = tf.isFinite(X).logicalAnd(tf.isFinite(Y)).logicalAnd(tf.isFinite(Z));
  const [a, b, c] = [X, Y, Z].map((w) => perView(tf.where(ok, w, tf.zerosLike(w)), cams));
  const R = cams.R;
  const xc = [0, 1, 2].map((i) => a.mul(R[i][0]).add(b.mul(R[i][1])).add(c.mul(R[i][2])).add(cams.t[i]));
  const x = xc[0].div(xc[2]);
  const y = xc[1].div(xc[2]);
  const x2 = x.square();
  const y2 = y.square();
  const r2 = x2.add(y2);
  const radial = radialPoly(r2, cams);
  let xd = x.mul(radial);
  let yd = y.mul(radial);
  if (cams.terms.tangential) {
    const xy2 = x.mul(y).mul(2);
    xd = xd.add(xy2.mul(cams.p1)).add(r2.add(x2.mul(2)).mul(cams.p2));
    yd = yd.add(r2.add(y2.mul(2)).mul(cams.p1)).add(xy2.mul(cams.p2));
  }
  const nan = perView(nanWhereNot(ok), cams);
  return [xd.mul(cams.fx).add(cams.cx).add(nan), yd.mul(cams.fy).add(cams.cy).add(nan)];
};

/**
 * Project world points (..., K, 3) into every view, with distortion: (..., ...views, K, 2)
 * pixels. x_c = R·X + t, x = x_c/z_c, radial 1 + k1r² + k2r⁴ + k3r⁶, tangential p1, p2,
 * u = fx·x_d + cx (skew unused). A point behind a camera is projected anyway (as OpenCV).
 * Missing (non-finite) points give NaN with zero gradients.
 */
export const project = (points: tf.Tensor, cams: CameraTensors): tf.Tensor =>
  tf.tidy(() => {
    const [X, Y, Z] = tf.unstack(points, points.rank - 1);
    return tf.stack(projectXYZ(X, Y, Z, cams), -1);
  });
