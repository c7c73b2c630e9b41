import * as tf from '@tensorflow/tfjs';
import type { Camera } from '../config/calibration.js';
import { rodrigues } from '../geometry/rotation.js';

/**
 * The reproject_views transform as one fused pass per call (float64 JavaScript over the
 * tensors' data) instead of ~1,800 small tfjs kernels: the same math as the tfjs-ops path
 * (src/geometry: OpenCV's 5 undistortion steps with its s < 0 guard, DLT by least squares plus
 * `DLT_REFINE_STEPS` Newton steps, all views or every camera pair with the NaN-ignoring median,
 * projection with distortion), in float64. Per (frame, keypoint) the views only meet each
 * other, so each point is solved on its own; the backward recomputes the point and runs the
 * chain backwards: projection's Jacobian, the median's selection (½ to each middle for an even
 * count, as nanMedianSmall), the DLT's implicit gradient (one 3×3 solve at the solution, as
 * triangulate.ts) and the undistortion's 2×2 Jacobian, carried forward through its steps.
 * Missing views (non-finite, or confidence below `below`) get zero gradients; a point with
 * fewer than 2 views (no pair) is NaN in every view.
 */

/** The rig in float64: per view fx, fy, cx, cy, k1, k2, k3, p1, p2, R (row-major 9), t (3). */
export interface Rig {
  readonly V: number;
  readonly cam: Float64Array; // V × 21
}

const STRIDE = 21;

export const rigOf = (cameras: readonly Camera[]): Rig => {
  const V = cameras.length;
  const cam = new Float64Array(V * STRIDE);
  cameras.forEach((c, i) => {
    const [k1, k2, p1, p2, k3] = c.distortions;
    const R = rodrigues(c.rotation);
    cam.set([c.matrix[0][0], c.matrix[1][1], c.matrix[0][2], c.matrix[1][2], k1, k2, k3, p1, p2, ...R.flat(), ...c.translation], i * STRIDE);
  });
  // shown as a name where a plan's declarations are printed
  return Object.defineProperty({ V, cam }, 'toJSON', { value: () => `the rig's ${V} cameras` });
};

const UNDISTORT_STEPS = 5;
const REFINE_STEPS = 2;

/** Work space for one point (all views), reused across points. */
interface Work {
  ok: Uint8Array; // view present
  x: Float64Array; // undistorted
  y: Float64Array;
  J: Float64Array; // per view d(x, y)/d(u, v): xu, xv, yu, yv
  X: Float64Array; // the 3-D point
  gX: Float64Array; // dL/dX
  P: Float64Array; // pair points (P × 3)
  pOk: Uint8Array;
  gP: Float64Array; // dL/d pair points
  gx: Float64Array; // dL/d undistorted
  gy: Float64Array;
  idx: Int32Array;
  sub: Int32Array; // views of one triangulation
  dlt: Float64Array; // B (6), f, q
}

const work = (V: number): Work => {
  const P = (V * (V - 1)) / 2;
  return {
    ok: new Uint8Array(V),
    x: new Float64Array(V),
    y: new Float64Array(V),
    J: new Float64Array(4 * V),
    X: new Float64Array(3),
    gX: new Float64Array(3),
    P: new Float64Array(3 * P),
    pOk: new Uint8Array(P),
    gP: new Float64Array(3 * P),
    gx: new Float64Array(V),
    gy: new Float64Array(V),
    idx: new Int32Array(P),
    sub: new Int32Array(V),
    dlt: new Float64Array(8),
  };
};

/** Undistort view i's pixel (u, v) into w.x/y[i], with the 2×2 Jacobian in w.J. */
const undistort = (c: Float64Array, o: number, u: number, v: number, w: Work, i: number): void => {
  const fx = c[o],
    fy = c[o + 1],
    k1 = c[o + 4],
    k2 = c[o + 5],
    k3 = c[o + 6],
    p1 = c[o + 7],
    p2 = c[o + 8];
  const x0 = (u - c[o + 2]) / fx;
  const y0 = (v - c[o + 3]) / fy;
  let x = x0,
    y = y0;
  // derivatives of (x, y) w.r.t. x0 (a) and y0 (b)
  let xa = 1,
    xb = 0,
    ya = 0,
    yb = 1;
  let frozen = false;
  for (let s_ = 0; s_ < UNDISTORT_STEPS; s_++) {
    const r2 = x * x + y * y;
    const poly = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
    const s = 1 / poly;
    if (!frozen && s < 0) frozen = true;
    if (frozen) {
      x = x0;
      y = y0;
      xa = 1;
      xb = 0;
      ya = 0;
      yb = 1;
      continue;
    }
    const dpoly = k1 + r2 * (2 * k2 + 3 * k3 * r2);
    const dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
    const dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
    const ex = x0 - dx,
      ey = y0 - dy;
    // per direction d ∈ {a, b}: dr2, ds, d(dx), d(dy)
    const r2a = 2 * (x * xa + y * ya),
      r2b = 2 * (x * xb + y * yb);
    const sa = -s * s * dpoly * r2a,
      sb = -s * s * dpoly * r2b;
    const dxa = 2 * p1 * (xa * y + x * ya) + p2 * (r2a + 4 * x * xa);
    const dxb = 2 * p1 * (xb * y + x * yb) + p2 * (r2b + 4 * x * xb);
    const dya = p1 * (r2a + 4 * y * ya) + 2 * p2 * (xa * y + x * ya);
    const dyb = p1 * (r2b + 4 * y * yb) + 2 * p2 * (xb * y + x * yb);
    const nxa = (1 - dxa) * s + ex * sa,
      nxb = -dxb * s + ex * sb;
    const nya = -dya * s + ey * sa,
      nyb = (1 - dyb) * s + ey * sb;
    x = ex * s;
    y = ey * s;
    xa = nxa;
    xb = nxb;
    ya = nya;
    yb = nyb;
  }
  w.x[i] = x;
  w.y[i] = y;
  const j = 4 * i;
  w.J[j] = xa / fx;
  w.J[j + 1] = xb / fy;
  w.J[j + 2] = ya / fx;
  w.J[j + 3] = yb / fy;
};

/** (S)⁻¹·g for symmetric S = (s00, s01, s02, s11, s12, s22) into out[o..o+2]. */
const solve3 = (
  s00: number,
  s01: number,
  s02: number,
  s11: number,
  s12: number,
  s22: number,
  a: number,
  b: number,
  cc: number,
  out: Float64Array,
  o: number,
): void => {
  const c00 = s11 * s22 - s12 * s12,
    c01 = s02 * s12 - s01 * s22,
    c02 = s01 * s12 - s02 * s11;
  const c11 = s00 * s22 - s02 * s02,
    c12 = s01 * s02 - s00 * s12,
    c22 = s00 * s11 - s01 * s01;
  const det = s00 * c00 + s01 * c01 + s02 * c02;
  out[o] = (c00 * a + c01 * b + c02 * cc) / det;
  out[o + 1] = (c01 * a + c11 * b + c12 * cc) / det;
  out[o + 2] = (c02 * a + c12 * b + c22 * cc) / det;
};

const tmp = new Float64Array(3);

/** Rows of view i for coordinate x (row 0) or y (row 1): a (3) and a4, into r[0..3]. */
const row = (c: Float64Array, o: number, xy: number, r: Float64Array, which: 0 | 1): void => {
  const R = o + 9,
    T = o + 18;
  const base = which * 3; // R row 0 (x) or 1 (y)
  r[0] = xy * c[R + 6] - c[R + base];
  r[1] = xy * c[R + 7] - c[R + base + 1];
  r[2] = xy * c[R + 8] - c[R + base + 2];
  r[3] = xy * c[T + 2] - c[T + which];
};
const rw = new Float64Array(4);

/** DLT from the n views in w.sub into out[o..o+2], leaving B, f, q in w.dlt. */
const dlt = (c: Float64Array, w: Work, n: number, out: Float64Array, o: number): void => {
  let s00 = 0,
    s01 = 0,
    s02 = 0,
    s11 = 0,
    s12 = 0,
    s22 = 0,
    b0 = 0,
    b1 = 0,
    b2 = 0;
  for (let m = 0; m < n; m++) {
    const i = w.sub[m];
    for (let which = 0; which < 2; which++) {
      row(c, i * STRIDE, which === 0 ? w.x[i] : w.y[i], rw, which as 0 | 1);
      s00 += rw[0] * rw[0];
      s01 += rw[0] * rw[1];
      s02 += rw[0] * rw[2];
      s11 += rw[1] * rw[1];
      s12 += rw[1] * rw[2];
      s22 += rw[2] * rw[2];
      b0 -= rw[0] * rw[3];
      b1 -= rw[1] * rw[3];
      b2 -= rw[2] * rw[3];
    }
  }
  solve3(s00, s01, s02, s11, s12, s22, b0, b1, b2, out, o);
  let f = 0,
    q = 1;
  for (let it = 0; it <= REFINE_STEPS; it++) {
    const X0 = out[o],
      X1 = out[o + 1],
      X2 = out[o + 2];
    let rr = 0,
      g0 = 0,
      g1 = 0,
      g2 = 0;
    for (let m = 0; m < n; m++) {
      const i = w.sub[m];
      for (let which = 0; which < 2; which++) {
        row(c, i * STRIDE, which === 0 ? w.x[i] : w.y[i], rw, which as 0 | 1);
        const r = rw[0] * X0 + rw[1] * X1 + rw[2] * X2 + rw[3];
        rr += r * r;
        g0 += rw[0] * r;
        g1 += rw[1] * r;
        g2 += rw[2] * r;
      }
    }
    q = X0 * X0 + X1 * X1 + X2 * X2 + 1;
    f = rr / q;
    if (it === REFINE_STEPS) break; // f, q at the final point, for the gradient
    solve3(s00 - f, s01, s02, s11 - f, s12, s22 - f, g0 - f * X0, g1 - f * X1, g2 - f * X2, tmp, 0);
    out[o] = X0 - tmp[0];
    out[o + 1] = X1 - tmp[1];
    out[o + 2] = X2 - tmp[2];
  }
  const d = w.dlt;
  d[0] = s00;
  d[1] = s01;
  d[2] = s02;
  d[3] = s11;
  d[4] = s12;
  d[5] = s22;
  d[6] = f;
  d[7] = q;
};

/** The DLT's implicit gradient: dL/dX (g) at the point X → += dL/d(x, y) of the views in w.sub. */
const dltBack = (c: Float64Array, w: Work, n: number, X: Float64Array, o: number, g: Float64Array, go: number): void => {
  const d = w.dlt;
  const f = d[6],
    q = d[7];
  solve3(d[0] - f, d[1], d[2], d[3] - f, d[4], d[5] - f, g[go], g[go + 1], g[go + 2], tmp, 0);
  const half = q / 2;
  const v0 = tmp[0] * half,
    v1 = tmp[1] * half,
    v2 = tmp[2] * half;
  const X0 = X[o],
    X1 = X[o + 1],
    X2 = X[o + 2];
  const two = 2 / q;
  const k2 = (X0 * v0 + X1 * v1 + X2 * v2) * two;
  for (let m = 0; m < n; m++) {
    const i = w.sub[m];
    const R = i * STRIDE + 9,
      T = i * STRIDE + 18;
    for (let which = 0; which < 2; which++) {
      row(c, i * STRIDE, which === 0 ? w.x[i] : w.y[i], rw, which as 0 | 1);
      const res = rw[0] * X0 + rw[1] * X1 + rw[2] * X2 + rw[3];
      const cd = rw[0] * v0 + rw[1] * v1 + rw[2] * v2;
      const kr = k2 * res;
      const gA0 = two * (cd * X0 + res * v0 - kr * X0);
      const gA1 = two * (cd * X1 + res * v1 - kr * X1);
      const gA2 = two * (cd * X2 + res * v2 - kr * X2);
      const gA4 = two * (cd - kr);
      const gxy = -(gA0 * c[R + 6] + gA1 * c[R + 7] + gA2 * c[R + 8] + gA4 * c[T + 2]);
      if (which === 0) w.gx[i] += gxy;
      else w.gy[i] += gxy;
    }
  }
};

/** Project X into view i: writes (u, v) to out[oo], and with gOut (dL/du, dL/dv at go) adds dL/dX into w.gX. */
const project = (c: Float64Array, o: number, X: Float64Array, out: Float32Array, oo: number, g: Float32Array | null, w: Work): void => {
  const fx = c[o],
    fy = c[o + 1],
    k1 = c[o + 4],
    k2 = c[o + 5],
    k3 = c[o + 6],
    p1 = c[o + 7],
    p2 = c[o + 8];
  const R = o + 9,
    T = o + 18;
  const X0 = X[0],
    X1 = X[1],
    X2 = X[2];
  const xc0 = c[R] * X0 + c[R + 1] * X1 + c[R + 2] * X2 + c[T];
  const xc1 = c[R + 3] * X0 + c[R + 4] * X1 + c[R + 5] * X2 + c[T + 1];
  const xc2 = c[R + 6] * X0 + c[R + 7] * X1 + c[R + 8] * X2 + c[T + 2];
  const x = xc0 / xc2,
    y = xc1 / xc2;
  const x2 = x * x,
    y2 = y * y,
    r2 = x2 + y2;
  const rad = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
  if (!g) {
    out[oo] = fx * (x * rad + 2 * p1 * x * y + p2 * (r2 + 2 * x2)) + c[o + 2];
    out[oo + 1] = fy * (y * rad + p1 * (r2 + 2 * y2) + 2 * p2 * x * y) + c[o + 3];
    return;
  }
  const gxd = g[oo] * fx,
    gyd = g[oo + 1] * fy;
  const dr = k1 + r2 * (2 * k2 + 3 * k3 * r2);
  const xdx = rad + 2 * x2 * dr + 2 * p1 * y + 6 * p2 * x;
  const xdy = 2 * x * y * dr + 2 * p1 * x + 2 * p2 * y;
  const ydx = 2 * x * y * dr + 2 * p1 * x + 2 * p2 * y;
  const ydy = rad + 2 * y2 * dr + 6 * p1 * y + 2 * p2 * x;
  const gx = gxd * xdx + gyd * ydx,
    gy = gxd * xdy + gyd * ydy;
  const gc0 = gx / xc2,
    gc1 = gy / xc2,
    gc2 = -(gx * x + gy * y) / xc2;
  w.gX[0] += c[R] * gc0 + c[R + 3] * gc1 + c[R + 6] * gc2;
  w.gX[1] += c[R + 1] * gc0 + c[R + 4] * gc1 + c[R + 7] * gc2;
  w.gX[2] += c[R + 2] * gc0 + c[R + 5] * gc1 + c[R + 8] * gc2;
};

/** Sorted order (insertion sort) of the finite pairs' coordinate `k` into w.idx; returns their count. */
const order = (w: Work, P: number, k: number): number => {
  let n = 0;
  for (let p = 0; p < P; p++) {
    if (!w.pOk[p]) continue;
    const val = w.P[3 * p + k];
    let j = n++;
    while (j > 0 && w.P[3 * w.idx[j - 1] + k] > val) {
      w.idx[j] = w.idx[j - 1];
      j--;
    }
    w.idx[j] = p;
  }
  return n;
};

export type Triangulation = 'dlt' | 'pairwise_median';

/**
 * One point (frame b, keypoint k): triangulate into w.X; returns false when it has too few
 * views. pts (B, V, K, 2), conf (B, V, K) or null.
 */
const solvePoint = (
  rig: Rig,
  tri: Triangulation,
  pts: Float32Array,
  conf: Float32Array | null,
  below: number,
  K: number,
  b: number,
  k: number,
  w: Work,
): boolean => {
  const { V, cam } = rig;
  let n = 0;
  for (let i = 0; i < V; i++) {
    const e = (b * V + i) * K + k;
    const u = pts[2 * e],
      v = pts[2 * e + 1];
    const ok = Number.isFinite(u) && Number.isFinite(v) && !(conf && below > 0 && conf[e] < below); // below: float32, as the tensor comparison
    w.ok[i] = ok ? 1 : 0;
    if (ok) {
      undistort(cam, i * STRIDE, u, v, w, i);
      w.sub[n++] = i;
    }
  }
  if (n < 2) return false;
  if (tri === 'dlt') {
    dlt(cam, w, n, w.X, 0);
    return true;
  }
  let p = 0;
  for (let i = 0; i < V; i++)
    for (let j = i + 1; j < V; j++, p++) {
      w.pOk[p] = w.ok[i] && w.ok[j] ? 1 : 0;
      if (!w.pOk[p]) continue;
      w.sub[0] = i;
      w.sub[1] = j;
      dlt(cam, w, 2, w.P, 3 * p);
    }
  for (let c = 0; c < 3; c++) {
    const m = order(w, p, c);
    const lo = Math.floor((m - 1) / 2),
      hi = Math.floor(m / 2);
    w.X[c] = 0.5 * (w.P[3 * w.idx[lo] + c] + w.P[3 * w.idx[hi] + c]);
  }
  return true;
};

/** Backward of one solved point: w.gX holds dL/dX; adds dL/dpts into grad. */
const backPoint = (rig: Rig, tri: Triangulation, K: number, b: number, k: number, w: Work, grad: Float32Array): void => {
  const { V, cam } = rig;
  w.gx.fill(0);
  w.gy.fill(0);
  if (tri === 'dlt') {
    let n = 0;
    for (let i = 0; i < V; i++) if (w.ok[i]) w.sub[n++] = i;
    dlt(cam, w, n, w.X, 0); // restores w.dlt for this point (same X)
    dltBack(cam, w, n, w.X, 0, w.gX, 0);
  } else {
    const P = (V * (V - 1)) / 2;
    w.gP.fill(0);
    for (let c = 0; c < 3; c++) {
      const m = order(w, P, c);
      const lo = Math.floor((m - 1) / 2),
        hi = Math.floor(m / 2);
      w.gP[3 * w.idx[lo] + c] += 0.5 * w.gX[c];
      w.gP[3 * w.idx[hi] + c] += 0.5 * w.gX[c];
    }
    let p = 0;
    for (let i = 0; i < V; i++)
      for (let j = i + 1; j < V; j++, p++) {
        if (!w.pOk[p]) continue;
        w.sub[0] = i;
        w.sub[1] = j;
        dlt(cam, w, 2, w.P, 3 * p);
        dltBack(cam, w, 2, w.P, 3 * p, w.gP, 3 * p);
      }
  }
  for (let i = 0; i < V; i++) {
    if (!w.ok[i]) continue;
    const e = 2 * ((b * V + i) * K + k);
    const j = 4 * i;
    grad[e] = w.gx[i] * w.J[j] + w.gy[i] * w.J[j + 2];
    grad[e + 1] = w.gx[i] * w.J[j + 1] + w.gy[i] * w.J[j + 3];
  }
};

/** Forward over all points: (B, V, K, 2) → reprojections (B, V, K, 2). */
export const reprojectForward = (
  rig: Rig,
  tri: Triangulation,
  pts: Float32Array,
  conf: Float32Array | null,
  below: number,
  B: number,
  K: number,
): Float32Array => {
  const { V, cam } = rig;
  const out = new Float32Array(pts.length);
  const w = work(V);
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++) {
      if (!solvePoint(rig, tri, pts, conf, below, K, b, k, w)) {
        for (let i = 0; i < V; i++) out[2 * ((b * V + i) * K + k)] = out[2 * ((b * V + i) * K + k) + 1] = NaN;
        continue;
      }
      for (let i = 0; i < V; i++) project(cam, i * STRIDE, w.X, out, 2 * ((b * V + i) * K + k), null, w);
    }
  return out;
};

/** Vector–Jacobian product: dL/d reprojections (B, V, K, 2) → dL/d points (B, V, K, 2). */
export const reprojectBackward = (
  rig: Rig,
  tri: Triangulation,
  pts: Float32Array,
  conf: Float32Array | null,
  below: number,
  B: number,
  K: number,
  dy: Float32Array,
): Float32Array => {
  const { V, cam } = rig;
  const grad = new Float32Array(pts.length);
  const w = work(V);
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++) {
      if (!solvePoint(rig, tri, pts, conf, below, K, b, k, w)) continue;
      if (!(Number.isFinite(w.X[0]) && Number.isFinite(w.X[1]) && Number.isFinite(w.X[2]))) continue;
      w.gX.fill(0);
      for (let i = 0; i < V; i++) project(cam, i * STRIDE, w.X, null as unknown as Float32Array, 2 * ((b * V + i) * K + k), dy, w);
      backPoint(rig, tri, K, b, k, w, grad);
    }
  return grad;
};

/** The fused reproject_views: points (B, V, K, 2) [+ confidences (B, V, K)] → (B, V, K, 2), differentiable in the points. */
export const reprojectViewsFused =
  (rig: Rig, tri: Triangulation, belowIn: number) =>
  (pts: tf.Tensor, conf?: tf.Tensor): tf.Tensor => {
    const below = Math.fround(belowIn);
    const [B, , K] = pts.shape;
    const c = conf && below > 0 ? (conf.dataSync() as Float32Array).slice() : null;
    const f = tf.customGrad(((x: tf.Tensor) => {
      const data = (x.dataSync() as Float32Array).slice();
      const value = tf.tensor(reprojectForward(rig, tri, data, c, below, B, K), x.shape, 'float32');
      return {
        value,
        gradFunc: (dy: tf.Tensor) => tf.tensor(reprojectBackward(rig, tri, data, c, below, B, K, dy.dataSync() as Float32Array), x.shape, 'float32'),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return (f as unknown as (x: tf.Tensor) => tf.Tensor)(pts);
  };

/** The float64 JavaScript kernels read tensors synchronously: on the cpu and wasm backends only (elsewhere tfjs ops run). */
export const jsKernelsAvailable = (): boolean => ['cpu', 'wasm'].includes(tf.getBackend());

/** What the multi-view loss kernel computes, from the plan's declarations (src/kernels/index.ts). */
export interface MultiviewLossSpec {
  readonly rig: Rig;
  readonly triangulation: Triangulation;
  /** The transform's threshold (views below it are left out of the triangulation; 0: none). */
  readonly below: number;
  /** Drop masks on per-view confidences (B, V, K): a term is dropped where its confidence < below. */
  readonly confMasks: readonly { readonly below: number }[];
  /** Drop masks for missing points: on the predictions, on the reprojections (else a NaN term makes the loss NaN). */
  readonly dropNaNPred: boolean;
  readonly dropNaNReprojected: boolean;
  /** relu(d − ε) per keypoint (float32-rounded), when the plan has a rectify. */
  readonly epsilon: Float64Array | null;
  readonly sum: boolean;
}

/**
 * A multi-view consistency loss in one pass: reproject the per-view points (the transform
 * above), d = ‖prediction − reprojection‖ per (frame, view, keypoint), confidence and NaN drop
 * masks, relu(d − ε), mean over the kept terms (0 when none) or sum. The gradient w.r.t. the
 * predictions has both paths: directly through d, and through the reprojection (its backward).
 * A non-finite loss gives NaN gradients, as the tfjs-ops path does.
 */
export const multiviewLoss = (
  m: MultiviewLossSpec,
  pts: tf.Tensor,
  transformConf: tf.Tensor | undefined,
  maskConfs: readonly (tf.Tensor | undefined)[],
): tf.Scalar => {
  const [B, V, K] = pts.shape;
  const below = Math.fround(m.below);
  const tc = transformConf && below > 0 ? (transformConf.dataSync() as Float32Array) : null;
  const mc = m.confMasks.map((c, i) => ({ below: Math.fround(c.below), data: maskConfs[i] ? (maskConfs[i]!.dataSync() as Float32Array) : null }));
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const data = (x.dataSync() as Float32Array).slice();
    const rep = reprojectForward(m.rig, m.triangulation, data, tc, below, B, K);
    const n = B * V * K;
    const coef = new Float64Array(n); // dL/dd per term (before the reduction's scale)
    let total = 0;
    let count = 0;
    for (let e = 0; e < n; e++) {
      if (mc.some((c) => c.data !== null && c.data[e] < c.below)) continue;
      const [pu, pv, ru, rv] = [data[2 * e], data[2 * e + 1], rep[2 * e], rep[2 * e + 1]];
      if (m.dropNaNPred && (Number.isNaN(pu) || Number.isNaN(pv))) continue;
      if (m.dropNaNReprojected && (Number.isNaN(ru) || Number.isNaN(rv))) continue;
      count++;
      const du = pu - ru,
        dv = pv - rv;
      const d = Math.sqrt(du * du + dv * dv);
      const eps = m.epsilon ? m.epsilon[e % K] : 0;
      if (Number.isNaN(d)) total += NaN;
      else if (m.epsilon) {
        if (d > eps) {
          total += d - eps;
          coef[e] = 1;
        }
      } else {
        total += d;
        coef[e] = 1;
      }
    }
    const scale = m.sum ? 1 : count > 0 ? 1 / count : 0;
    const value = m.sum || count > 0 ? total * scale : 0;
    save([]);
    return {
      value: tf.scalar(value, 'float32'),
      gradFunc: (dy: tf.Tensor) => {
        const up = (dy.dataSync() as Float32Array)[0];
        if (!Number.isFinite(value)) return tf.fill(x.shape, NaN);
        const g = new Float32Array(data.length);
        const gRep = new Float32Array(data.length);
        for (let e = 0; e < n; e++) {
          if (!coef[e]) continue;
          const du = data[2 * e] - rep[2 * e],
            dv = data[2 * e + 1] - rep[2 * e + 1];
          const d = Math.sqrt(du * du + dv * dv);
          if (d === 0) continue; // the norm's gradient at 0 is 0
          const c = (up * scale * coef[e]) / d;
          g[2 * e] = c * du;
          g[2 * e + 1] = c * dv;
          gRep[2 * e] = -c * du;
          gRep[2 * e + 1] = -c * dv;
        }
        const back = reprojectBackward(m.rig, m.triangulation, data, tc, below, B, K, gRep);
        for (let i = 0; i < g.length; i++) g[i] += back[i];
        return tf.tensor(g, x.shape, 'float32');
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (f as unknown as (x: tf.Tensor) => tf.Scalar)(pts);
};
