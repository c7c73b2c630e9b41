// AssemblyScript: the multi-camera kernel (reproject_views and the losses built on it), float64
// per point (frame b, keypoint k): undistort every view (OpenCV's 5 fixed-point steps with its
// s < 0 guard, carrying the 2×2 Jacobian), triangulate — DLT over all present views by least
// squares plus REFINE_STEPS Newton steps, or every camera pair and the NaN-ignoring median —
// and project into every view with distortion. The gradient runs per point right after its
// forward, from the point's state kept in the work area (no second solve): projection's
// Jacobian, the median's selection (½ to each middle for an even count), the DLT's implicit
// gradient (one 3×3 solve at the solution) and the undistortion's Jacobian.
//
// One descriptor (fields declared in src/kernels/simd/descriptors.ts, `multiview`): B, V, K; pts
// (f32 (B, V, K, 2)); tconf (f32 (B, V, K) or 0: views below `below` are left out); cam (f64
// V × 21: fx, fy, cx, cy, k1, k2, k3, p1, p2, R row-major, t); pairwise (else all-view DLT); out
// (f32 reprojections or 0); dy (f32 upstream gradient of the reprojections or 0); grad (f32
// (B, V, K, 2) or 0); work (multiviewWorkBytes(V) bytes); loss; masks (nMasks pairs of f64:
// confidence pointer (0: none), below); nanPred, nanReprojected; eps (f64 per keypoint or 0: no
// rectify); sum (else mean); pairs (triangulate_pairs: no median, no projection — out gets every
// camera pair's DLT point, f32 (B, P, K, 3), NaN where either view is missing, and dy is its
// upstream gradient; `loss` off). Returns the loss (0 without `loss`).
// The loss: d = ‖prediction − reprojection‖ per (frame, view, keypoint), drop masks, relu(d − ε),
// mean over the kept terms (0 when none) or sum; its gradient has both paths (through d, and
// through the reprojection), scaled by the reduction at the end.

import { multiviewArgs as A, multiviewWorkBytesArgs as W } from './descriptors';

const STRIDE = 21;
const UNDISTORT_STEPS = 5;
const REFINE_STEPS = 2;
const DLT_STATE = 8; // B (6), f, q

// the call's rig and work area (set at the start of each call)
let cam: usize = 0;
let V: i32 = 0;
let NP: i32 = 0; // camera pairs
let wx: usize = 0; // undistorted x, y (f64 per view)
let wy: usize = 0;
let wJ: usize = 0; // per view d(x, y)/d(u, v): xu, xv, yu, yv
let wX: usize = 0; // the 3-D point
let wgX: usize = 0; // dL/dX
let wP: usize = 0; // pair points (3 per pair)
let wgP: usize = 0;
let wgx: usize = 0; // dL/d undistorted
let wgy: usize = 0;
let wdlt: usize = 0; // DLT state per triangulation (slot 0: all views; pair p: slot p)
let wrep: usize = 0; // reprojection (u, v) per view, float32-rounded
let wgr: usize = 0; // dL/d reprojection per view
let wgd: usize = 0; // dL/d prediction per view through the distance
let wrow: usize = 0; // the DLT rows of each present view: x row (a0, a1, a2, a4), y row
let wok: usize = 0; // i32 per view: present
let wsub: usize = 0; // i32: views of one triangulation
let widx: usize = 0; // i32 per pair: sorted order
let wpOk: usize = 0; // i32 per pair: both views present

// @ts-ignore: decorator
@inline function f(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline function setf(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}
// @ts-ignore: decorator
@inline function addf(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), load<f64>(p + (<usize>i << 3)) + v);
}
// @ts-ignore: decorator
@inline function geti(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function seti(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}
// @ts-ignore: decorator
@inline function f32at(p: usize, i: i32): f64 {
  return <f64>load<f32>(p + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function camOf(i: i32): usize {
  return cam + (<usize>(i * STRIDE) << 3);
}

/** Bytes of work area the kernel needs for V views (8-byte aligned). */
export function multiviewWorkBytes(args: usize): f64 {
  const views = W.views(args);
  const pairs = (views * (views - 1)) >> 1;
  const slots = pairs > 1 ? pairs : 1;
  return <f64>(8 * (views * 22 + 6 + 6 * pairs + DLT_STATE * slots) + 4 * (2 * views + 2 * pairs) + 8);
}

let end: usize = 0;
// @ts-ignore: decorator
@inline function take(bytes: i32): usize {
  const at = end;
  end += <usize>bytes;
  return at;
}

function layout(work: usize): void {
  end = work;
  wx = take(8 * V);
  wy = take(8 * V);
  wJ = take(32 * V);
  wX = take(24);
  wgX = take(24);
  wP = take(24 * NP);
  wgP = take(24 * NP);
  wgx = take(8 * V);
  wgy = take(8 * V);
  wdlt = take(8 * DLT_STATE * (NP > 1 ? NP : 1));
  wrep = take(16 * V);
  wgr = take(16 * V);
  wgd = take(16 * V);
  wrow = take(64 * V);
  wok = take(4 * V);
  wsub = take(4 * V);
  widx = take(4 * NP);
  wpOk = take(4 * NP);
}

/** Undistort view i's pixel (u, v) into wx/wy[i], with (when `jac`: for a gradient) the 2×2 Jacobian in wJ. */
function undistort(i: i32, u: f64, v: f64, jac: bool): void {
  const c = camOf(i);
  const fx = f(c, 0);
  const fy = f(c, 1);
  const k1 = f(c, 4);
  const k2 = f(c, 5);
  const k3 = f(c, 6);
  const p1 = f(c, 7);
  const p2 = f(c, 8);
  const x0 = (u - f(c, 2)) / fx;
  const y0 = (v - f(c, 3)) / fy;
  let x = x0;
  let y = y0;
  // derivatives of (x, y) w.r.t. x0 (a) and y0 (b)
  let xa = 1.0;
  let xb = 0.0;
  let ya = 0.0;
  let yb = 1.0;
  let frozen = false;
  for (let step = 0; step < UNDISTORT_STEPS; step++) {
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
    const dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
    const dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
    const ex = x0 - dx;
    const ey = y0 - dy;
    if (!jac) {
      x = ex * s;
      y = ey * s;
      continue;
    }
    const dpoly = k1 + r2 * (2 * k2 + 3 * k3 * r2);
    const r2a = 2 * (x * xa + y * ya);
    const r2b = 2 * (x * xb + y * yb);
    const sa = -s * s * dpoly * r2a;
    const sb = -s * s * dpoly * r2b;
    const dxa = 2 * p1 * (xa * y + x * ya) + p2 * (r2a + 4 * x * xa);
    const dxb = 2 * p1 * (xb * y + x * yb) + p2 * (r2b + 4 * x * xb);
    const dya = p1 * (r2a + 4 * y * ya) + 2 * p2 * (xa * y + x * ya);
    const dyb = p1 * (r2b + 4 * y * yb) + 2 * p2 * (xb * y + x * yb);
    const nxa = (1 - dxa) * s + ex * sa;
    const nxb = -dxb * s + ex * sb;
    const nya = -dya * s + ey * sa;
    const nyb = (1 - dyb) * s + ey * sb;
    x = ex * s;
    y = ey * s;
    xa = nxa;
    xb = nxb;
    ya = nya;
    yb = nyb;
  }
  setf(wx, i, x);
  setf(wy, i, y);
  if (!jac) return;
  const j = 4 * i;
  setf(wJ, j, xa / fx);
  setf(wJ, j + 1, xb / fy);
  setf(wJ, j + 2, ya / fx);
  setf(wJ, j + 3, yb / fy);
}

// the solution of solve3
let s0: f64 = 0;
let s1: f64 = 0;
let s2: f64 = 0;

/** S⁻¹·(a, b, cc) for symmetric S = (s00, s01, s02, s11, s12, s22), into s0..s2. */
function solve3(s00: f64, s01: f64, s02: f64, s11: f64, s12: f64, s22: f64, a: f64, b: f64, cc: f64): void {
  const c00 = s11 * s22 - s12 * s12;
  const c01 = s02 * s12 - s01 * s22;
  const c02 = s01 * s12 - s02 * s11;
  const c11 = s00 * s22 - s02 * s02;
  const c12 = s01 * s02 - s00 * s12;
  const c22 = s00 * s11 - s01 * s01;
  const det = s00 * c00 + s01 * c01 + s02 * c02;
  s0 = (c00 * a + c01 * b + c02 * cc) / det;
  s1 = (c01 * a + c11 * b + c12 * cc) / det;
  s2 = (c02 * a + c12 * b + c22 * cc) / det;
}

// one DLT row: a (3) and a4
let r0: f64 = 0;
let r1: f64 = 0;
let r2_: f64 = 0;
let r3: f64 = 0;

/** The DLT rows of view i (its undistorted point in wx/wy), into wrow: per coordinate (x: R row 0, y: R row 1) xy·R₂ − Rₙ and xy·t₂ − tₙ. */
function rows(i: i32): void {
  const c = camOf(i);
  for (let which = 0; which < 2; which++) {
    const xy = which == 0 ? f(wx, i) : f(wy, i);
    const base = 9 + which * 3;
    const r = 8 * i + 4 * which;
    setf(wrow, r, xy * f(c, 15) - f(c, base));
    setf(wrow, r + 1, xy * f(c, 16) - f(c, base + 1));
    setf(wrow, r + 2, xy * f(c, 17) - f(c, base + 2));
    setf(wrow, r + 3, xy * f(c, 20) - f(c, 18 + which));
  }
}

/** The row of view i for its x (which = 0) or y (which = 1) coordinate, into r0..r3. */
// @ts-ignore: decorator
@inline function row(i: i32, which: i32): void {
  const r = 8 * i + 4 * which;
  r0 = f(wrow, r);
  r1 = f(wrow, r + 1);
  r2_ = f(wrow, r + 2);
  r3 = f(wrow, r + 3);
}

/** DLT from the n views in wsub into out[o..o+2] (f64 indices), its state in DLT slot `slot`. */
function dlt(n: i32, out: usize, o: i32, slot: i32): void {
  let s00 = 0.0;
  let s01 = 0.0;
  let s02 = 0.0;
  let s11 = 0.0;
  let s12 = 0.0;
  let s22 = 0.0;
  let b0 = 0.0;
  let b1 = 0.0;
  let b2 = 0.0;
  for (let m = 0; m < n; m++) {
    const i = geti(wsub, m);
    for (let which = 0; which < 2; which++) {
      row(i, which);
      s00 += r0 * r0;
      s01 += r0 * r1;
      s02 += r0 * r2_;
      s11 += r1 * r1;
      s12 += r1 * r2_;
      s22 += r2_ * r2_;
      b0 -= r0 * r3;
      b1 -= r1 * r3;
      b2 -= r2_ * r3;
    }
  }
  solve3(s00, s01, s02, s11, s12, s22, b0, b1, b2);
  let X0 = s0;
  let X1 = s1;
  let X2 = s2;
  let fv = 0.0;
  let q = 1.0;
  for (let it = 0; it <= REFINE_STEPS; it++) {
    let rr = 0.0;
    let g0 = 0.0;
    let g1 = 0.0;
    let g2 = 0.0;
    for (let m = 0; m < n; m++) {
      const i = geti(wsub, m);
      for (let which = 0; which < 2; which++) {
        row(i, which);
        const r = r0 * X0 + r1 * X1 + r2_ * X2 + r3;
        rr += r * r;
        g0 += r0 * r;
        g1 += r1 * r;
        g2 += r2_ * r;
      }
    }
    q = X0 * X0 + X1 * X1 + X2 * X2 + 1;
    fv = rr / q;
    if (it == REFINE_STEPS) break; // f, q at the final point, for the gradient
    solve3(s00 - fv, s01, s02, s11 - fv, s12, s22 - fv, g0 - fv * X0, g1 - fv * X1, g2 - fv * X2);
    X0 -= s0;
    X1 -= s1;
    X2 -= s2;
  }
  setf(out, o, X0);
  setf(out, o + 1, X1);
  setf(out, o + 2, X2);
  const d = wdlt + (<usize>(slot * DLT_STATE) << 3);
  setf(d, 0, s00);
  setf(d, 1, s01);
  setf(d, 2, s02);
  setf(d, 3, s11);
  setf(d, 4, s12);
  setf(d, 5, s22);
  setf(d, 6, fv);
  setf(d, 7, q);
}

/** The DLT's implicit gradient: dL/dX (g[go..]) at X (X[o..]) → += dL/d(x, y) of the views in wsub. */
function dltBack(n: i32, X: usize, o: i32, g: usize, go: i32, slot: i32): void {
  const d = wdlt + (<usize>(slot * DLT_STATE) << 3);
  const fv = f(d, 6);
  const q = f(d, 7);
  solve3(f(d, 0) - fv, f(d, 1), f(d, 2), f(d, 3) - fv, f(d, 4), f(d, 5) - fv, f(g, go), f(g, go + 1), f(g, go + 2));
  const half = q / 2;
  const v0 = s0 * half;
  const v1 = s1 * half;
  const v2 = s2 * half;
  const X0 = f(X, o);
  const X1 = f(X, o + 1);
  const X2 = f(X, o + 2);
  const two = 2 / q;
  const k2 = (X0 * v0 + X1 * v1 + X2 * v2) * two;
  for (let m = 0; m < n; m++) {
    const i = geti(wsub, m);
    const c = camOf(i);
    for (let which = 0; which < 2; which++) {
      row(i, which);
      const res = r0 * X0 + r1 * X1 + r2_ * X2 + r3;
      const cd = r0 * v0 + r1 * v1 + r2_ * v2;
      const kr = k2 * res;
      const gA0 = two * (cd * X0 + res * v0 - kr * X0);
      const gA1 = two * (cd * X1 + res * v1 - kr * X1);
      const gA2 = two * (cd * X2 + res * v2 - kr * X2);
      const gA4 = two * (cd - kr);
      const gxy = -(gA0 * f(c, 15) + gA1 * f(c, 16) + gA2 * f(c, 17) + gA4 * f(c, 20));
      addf(which == 0 ? wgx : wgy, i, gxy);
    }
  }
}

/**
 * The point's projection into view i: with `back` false its (u, v) into wrep, rounded to float32
 * as the tensor holds it; with `back` true the vector–Jacobian product dL/d(u, v) = (gu, gv) → +=
 * dL/dX in wgX. Inlined with a constant `back` (project, projectBack): each keeps only its branch.
 */
// @ts-ignore: decorator
@inline function projection(i: i32, back: bool, gu: f64, gv: f64): void {
  const c = camOf(i);
  const k1 = f(c, 4);
  const k2 = f(c, 5);
  const k3 = f(c, 6);
  const p1 = f(c, 7);
  const p2 = f(c, 8);
  const X0 = f(wX, 0);
  const X1 = f(wX, 1);
  const X2 = f(wX, 2);
  const xc0 = f(c, 9) * X0 + f(c, 10) * X1 + f(c, 11) * X2 + f(c, 18);
  const xc1 = f(c, 12) * X0 + f(c, 13) * X1 + f(c, 14) * X2 + f(c, 19);
  const xc2 = f(c, 15) * X0 + f(c, 16) * X1 + f(c, 17) * X2 + f(c, 20);
  const x = xc0 / xc2;
  const y = xc1 / xc2;
  const x2 = x * x;
  const y2 = y * y;
  const r2 = x2 + y2;
  const rad = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
  if (!back) {
    setf(wrep, 2 * i, <f64>(<f32>(f(c, 0) * (x * rad + 2 * p1 * x * y + p2 * (r2 + 2 * x2)) + f(c, 2))));
    setf(wrep, 2 * i + 1, <f64>(<f32>(f(c, 1) * (y * rad + p1 * (r2 + 2 * y2) + 2 * p2 * x * y) + f(c, 3))));
    return;
  }
  const gxd = gu * f(c, 0);
  const gyd = gv * f(c, 1);
  const dr = k1 + r2 * (2 * k2 + 3 * k3 * r2);
  const xdx = rad + 2 * x2 * dr + 2 * p1 * y + 6 * p2 * x;
  const xdy = 2 * x * y * dr + 2 * p1 * x + 2 * p2 * y;
  const ydx = 2 * x * y * dr + 2 * p1 * x + 2 * p2 * y;
  const ydy = rad + 2 * y2 * dr + 6 * p1 * y + 2 * p2 * x;
  const gx = gxd * xdx + gyd * ydx;
  const gy = gxd * xdy + gyd * ydy;
  const gc0 = gx / xc2;
  const gc1 = gy / xc2;
  const gc2 = -(gx * x + gy * y) / xc2;
  addf(wgX, 0, f(c, 9) * gc0 + f(c, 12) * gc1 + f(c, 15) * gc2);
  addf(wgX, 1, f(c, 10) * gc0 + f(c, 13) * gc1 + f(c, 16) * gc2);
  addf(wgX, 2, f(c, 11) * gc0 + f(c, 14) * gc1 + f(c, 17) * gc2);
}

/** Project the point into view i: (u, v) into wrep, rounded to float32. */
function project(i: i32): void {
  projection(i, false, 0, 0);
}

/** The projection's vector–Jacobian product for view i: dL/d(u, v) = (gu, gv) → += dL/dX in wgX. */
function projectBack(i: i32, gu: f64, gv: f64): void {
  projection(i, true, gu, gv);
}

/** Sorted order (insertion sort) of the present pairs' coordinate `k` into widx; returns their count. */
function order(k: i32): i32 {
  let n = 0;
  for (let p = 0; p < NP; p++) {
    if (!geti(wpOk, p)) continue;
    const val = f(wP, 3 * p + k);
    let j = n++;
    while (j > 0 && f(wP, 3 * geti(widx, j - 1) + k) > val) {
      seti(widx, j, geti(widx, j - 1));
      j--;
    }
    seti(widx, j, p);
  }
  return n;
}

/** Triangulate point (b, k) into wX (without `median`: only the pair points into wP); false when it has fewer than 2 views. */
function solvePoint(pts: usize, tconf: usize, below: f64, K: i32, b: i32, k: i32, pairwise: bool, jac: bool, median: bool = true): bool {
  let n = 0;
  for (let i = 0; i < V; i++) {
    const e = (b * V + i) * K + k;
    const u = f32at(pts, 2 * e);
    const v = f32at(pts, 2 * e + 1);
    const ok = isFinite(u) && isFinite(v) && !(tconf != 0 && below > 0 && f32at(tconf, e) < below);
    seti(wok, i, ok ? 1 : 0);
    if (ok) {
      undistort(i, u, v, jac);
      rows(i);
      seti(wsub, n++, i);
    }
  }
  if (n < 2) return false;
  if (!pairwise) {
    dlt(n, wX, 0, 0);
    return true;
  }
  let p = 0;
  for (let i = 0; i < V; i++)
    for (let j = i + 1; j < V; j++, p++) {
      const both = geti(wok, i) != 0 && geti(wok, j) != 0;
      seti(wpOk, p, both ? 1 : 0);
      if (!both) continue;
      seti(wsub, 0, i);
      seti(wsub, 1, j);
      dlt(2, wP, 3 * p, p);
    }
  if (!median) return true;
  for (let c = 0; c < 3; c++) {
    const m = order(c);
    const lo = (m - 1) >> 1;
    const hi = m >> 1;
    setf(wX, c, 0.5 * (f(wP, 3 * geti(widx, lo) + c) + f(wP, 3 * geti(widx, hi) + c)));
  }
  return true;
}

/** Backward of the solved point: wgX holds dL/dX; leaves dL/d(x, y) undistorted in wgx, wgy. */
function backPoint(pairwise: bool): void {
  memory.fill(wgx, 0, <usize>(8 * V));
  memory.fill(wgy, 0, <usize>(8 * V));
  if (!pairwise) {
    let n = 0;
    for (let i = 0; i < V; i++) if (geti(wok, i)) seti(wsub, n++, i);
    dltBack(n, wX, 0, wgX, 0, 0);
    return;
  }
  memory.fill(wgP, 0, <usize>(24 * NP));
  for (let c = 0; c < 3; c++) {
    const m = order(c);
    const lo = (m - 1) >> 1;
    const hi = m >> 1;
    addf(wgP, 3 * geti(widx, lo) + c, 0.5 * f(wgX, c));
    addf(wgP, 3 * geti(widx, hi) + c, 0.5 * f(wgX, c));
  }
  let p = 0;
  for (let i = 0; i < V; i++)
    for (let j = i + 1; j < V; j++, p++) {
      if (!geti(wpOk, p)) continue;
      seti(wsub, 0, i);
      seti(wsub, 1, j);
      dltBack(2, wP, 3 * p, wgP, 3 * p, p);
    }
}

/**
 * triangulate_pairs: every camera pair's point of each (b, k) into out (B, P, K, 3) (NaN where a
 * view of the pair is missing), or with grad the gradient from dy (B, P, K, 3): each present
 * pair's implicit DLT gradient, through the undistortion's Jacobian; a missing view gets 0.
 */
function pairPoints(pts: usize, tconf: usize, below: f64, B: i32, K: i32, out: usize, dy: usize, grad: usize): void {
  const jac = grad != 0;
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++) {
      // a point with fewer than 2 views has no pair: solvePoint leaves wpOk as it was
      if (!solvePoint(pts, tconf, below, K, b, k, true, jac, false)) memory.fill(wpOk, 0, <usize>(4 * NP));
      const e0 = b * V * K + k; // entry of view 0; view i at e0 + i·K
      const q0 = b * NP * K + k; // entry of pair 0; pair p at q0 + p·K
      if (!jac) {
        for (let p = 0; p < NP; p++) {
          const q = 3 * (q0 + p * K);
          const ok = geti(wpOk, p) != 0;
          for (let c = 0; c < 3; c++) store<f32>(out + (<usize>(q + c) << 2), ok ? <f32>f(wP, 3 * p + c) : NaN);
        }
        continue;
      }
      memory.fill(wgx, 0, <usize>(8 * V));
      memory.fill(wgy, 0, <usize>(8 * V));
      let p = 0;
      for (let i = 0; i < V; i++)
        for (let j = i + 1; j < V; j++, p++) {
          if (!geti(wpOk, p)) continue;
          if (!(isFinite(f(wP, 3 * p)) && isFinite(f(wP, 3 * p + 1)) && isFinite(f(wP, 3 * p + 2)))) continue;
          const q = 3 * (q0 + p * K);
          for (let c = 0; c < 3; c++) setf(wgP, 3 * p + c, f32at(dy, q + c));
          seti(wsub, 0, i);
          seti(wsub, 1, j);
          dltBack(2, wP, 3 * p, wgP, 3 * p, p);
        }
      for (let i = 0; i < V; i++) {
        const e = e0 + i * K;
        let gu = 0.0;
        let gv = 0.0;
        if (geti(wok, i)) {
          const m = 4 * i;
          gu = f(wgx, i) * f(wJ, m) + f(wgy, i) * f(wJ, m + 2);
          gv = f(wgx, i) * f(wJ, m + 1) + f(wgy, i) * f(wJ, m + 3);
        }
        store<f32>(grad + (<usize>(2 * e) << 2), <f32>gu);
        store<f32>(grad + (<usize>(2 * e + 1) << 2), <f32>gv);
      }
    }
}

/** Runs the kernel on one descriptor (see the top of this file); returns the loss. */
export function multiview(d: usize): f64 {
  const B = A.B(d);
  V = A.V(d);
  const K = A.K(d);
  const pts = A.pts(d);
  const tconf = A.tconf(d);
  const below = A.below(d);
  cam = A.cam(d);
  const pairwise = A.pairwise(d);
  const out = A.out(d);
  const dy = A.dy(d);
  const grad = A.grad(d);
  const loss = A.loss(d);
  const nMasks = A.nMasks(d);
  const masks = A.masks(d);
  const nanPred = A.nanPred(d);
  const nanRep = A.nanReprojected(d);
  const eps = A.eps(d);
  const sum = A.sum(d);
  NP = (V * (V - 1)) >> 1;
  layout(A.work(d));
  if (A.pairs(d)) {
    pairPoints(pts, tconf, below, B, K, out, dy, grad);
    return 0;
  }
  let total = 0.0;
  let count = 0;
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++) {
      const solved = solvePoint(pts, tconf, below, K, b, k, pairwise, grad != 0);
      for (let i = 0; i < V; i++) {
        if (solved) project(i);
        else {
          setf(wrep, 2 * i, NaN);
          setf(wrep, 2 * i + 1, NaN);
        }
      }
      const e0 = b * V * K + k; // entry of view 0; view i at e0 + i·K
      if (out != 0)
        for (let i = 0; i < V; i++) {
          const e = e0 + i * K;
          store<f32>(out + (<usize>(2 * e) << 2), <f32>f(wrep, 2 * i));
          store<f32>(out + (<usize>(2 * e + 1) << 2), <f32>f(wrep, 2 * i + 1));
        }
      if (grad != 0) {
        memory.fill(wgr, 0, <usize>(16 * V));
        memory.fill(wgd, 0, <usize>(16 * V));
      }
      if (loss)
        for (let i = 0; i < V; i++) {
          const e = e0 + i * K;
          let dropped = false;
          for (let m = 0; m < nMasks; m++) {
            const conf = <usize>f(masks, 2 * m);
            if (conf != 0 && f32at(conf, e) < f(masks, 2 * m + 1)) dropped = true;
          }
          if (dropped) continue;
          const pu = f32at(pts, 2 * e);
          const pv = f32at(pts, 2 * e + 1);
          const ru = f(wrep, 2 * i);
          const rv = f(wrep, 2 * i + 1);
          if (nanPred && (isNaN(pu) || isNaN(pv))) continue;
          if (nanRep && (isNaN(ru) || isNaN(rv))) continue;
          count++;
          const du = pu - ru;
          const dv = pv - rv;
          const dist = Math.sqrt(du * du + dv * dv);
          let active = true;
          if (isNaN(dist)) {
            total += NaN;
            active = false;
          } else if (eps != 0) {
            const ek = f(eps, k);
            active = dist > ek;
            if (active) total += dist - ek;
          } else total += dist;
          // the norm's gradient at 0 is 0
          if (grad != 0 && active && dist != 0) {
            const cu = du / dist;
            const cv = dv / dist;
            setf(wgd, 2 * i, cu);
            setf(wgd, 2 * i + 1, cv);
            setf(wgr, 2 * i, -cu);
            setf(wgr, 2 * i + 1, -cv);
          }
        }
      if (grad == 0) continue;
      if (dy != 0)
        for (let i = 0; i < V; i++) {
          const e = e0 + i * K;
          setf(wgr, 2 * i, f32at(dy, 2 * e));
          setf(wgr, 2 * i + 1, f32at(dy, 2 * e + 1));
        }
      const chain = solved && isFinite(f(wX, 0)) && isFinite(f(wX, 1)) && isFinite(f(wX, 2));
      if (chain) {
        memory.fill(wgX, 0, 24);
        for (let i = 0; i < V; i++) projectBack(i, f(wgr, 2 * i), f(wgr, 2 * i + 1));
        backPoint(pairwise);
      }
      for (let i = 0; i < V; i++) {
        const e = e0 + i * K;
        let gu = f(wgd, 2 * i);
        let gv = f(wgd, 2 * i + 1);
        if (chain && geti(wok, i)) {
          const j = 4 * i;
          gu += f(wgx, i) * f(wJ, j) + f(wgy, i) * f(wJ, j + 2);
          gv += f(wgx, i) * f(wJ, j + 1) + f(wgy, i) * f(wJ, j + 3);
        }
        store<f32>(grad + (<usize>(2 * e) << 2), <f32>gu);
        store<f32>(grad + (<usize>(2 * e + 1) << 2), <f32>gv);
      }
    }
  if (!loss) return 0;
  const scale = sum ? 1.0 : count > 0 ? 1.0 / count : 0.0;
  if (grad != 0 && scale != 1) {
    const n = <usize>(B * V * K * 2);
    for (let j: usize = 0; j < n; j++) store<f32>(grad + (j << 2), <f32>(<f64>load<f32>(grad + (j << 2)) * scale));
  }
  return sum || count > 0 ? total * scale : 0;
}
