import { addWide, total2 } from './vector';
import { ld, st } from './heatmap';
import { keypointsArgs as A } from './descriptors';

// AssemblyScript: keypoint losses on small tensors — elementwise distances (regression, Huber,
// ...) and per-keypoint distances (rmse, pixel error, 3-D pairwise) — with NaN and confidence
// masks, rectify and mean. Layout: the prediction is (B, P, K, C) (P = 1 except for 3-D camera
// pairs); the target is the same, or (B, K, C) broadcast over P; confidences (B, K).

export const NORM = -1; // per-keypoint ‖t − p‖·scale; 0..3: squared, absolute, huber, smooth_l1 per coordinate
const SQUARED = 0;
const ABSOLUTE = 1;
const HUBER = 2;

/** A mask is 5 float64: input (0 target, 1 prediction, 2 confidences), is-NaN (else below), per-element, below, drop. */
const MASK_BYTES = 40;

/**
 * Validity per entry of `state` (per coordinate when `per` = C, else per keypoint): 0 valid,
 * 1 zeroed, 2 dropped (the strongest mask wins). Returns how many entries stay in the mean.
 */
function validity(t: usize, p: usize, conf: usize, frames: i32, pairs: i32, k: i32, c: i32, per: i32, broadcast: bool, masks: usize, nMasks: i32, state: usize): i32 {
  const n = frames * pairs * k * per;
  memory.fill(state, 0, n);
  if (nMasks == 0) return n;
  for (let mi = 0; mi < nMasks; mi++) {
    const m = masks + <usize>mi * MASK_BYTES;
    const input = <i32>load<f64>(m);
    const isNaN = load<f64>(m, 8) != 0;
    const perElement = isNaN && load<f64>(m, 16) != 0 && per == c;
    const below = <f32>load<f64>(m, 24);
    const mark: u8 = load<f64>(m, 32) != 0 ? 2 : 1;
    const x = input == 0 ? t : input == 1 ? p : conf;
    let i = 0;
    for (let b = 0; b < frames; b++)
      for (let q = 0; q < pairs; q++)
        for (let j = 0; j < k; j++, i += per) {
          const s = state + i;
          if (!isNaN) {
            if (load<f32>(x + (<usize>(b * k + j) << 2)) < below) for (let e = 0; e < per; e++) if (load<u8>(s + e) < mark) store<u8>(s + e, mark);
            continue;
          }
          const base = x + (<usize>((input == 0 && broadcast ? b * k + j : (b * pairs + q) * k + j) * c) << 2);
          if (perElement) {
            for (let e = 0; e < c; e++) {
              const v = load<f32>(base + (<usize>e << 2));
              if (v != v && load<u8>(s + e) < mark) store<u8>(s + e, mark);
            }
            continue;
          }
          let bad = false;
          for (let e = 0; e < c; e++) {
            const v = load<f32>(base + (<usize>e << 2));
            if (v != v) bad = true;
          }
          if (bad) for (let e = 0; e < per; e++) if (load<u8>(s + e) < mark) store<u8>(s + e, mark);
        }
  }
  // entries dropped, 16 bytes at a time
  let dropped = 0;
  let i = 0;
  for (; i + 16 <= n; i += 16) dropped += popcnt<i32>(i8x16.bitmask(i8x16.eq(v128.load(state + i), i8x16.splat(2))));
  for (; i < n; i++) if (load<u8>(state + i) == 2) dropped++;
  return n - dropped;
}

// @ts-ignore: decorator
@inline function addAt(g: usize, index: i32, v: f64): void {
  if (g) store<f32>(g + (<usize>index << 2), <f32>(<f64>load<f32>(g + (<usize>index << 2)) + v));
}

/**
 * The elementwise losses when the target has the prediction's shape: rows of `width` = K·C
 * entries, four at a time. Same values and gradients as the scalar loop below, in float32
 * lanes with float64 sums; gt / gp are written in full. `epsRow`: f32 ε per entry of a row.
 */
function elementwiseRows(t: usize, p: usize, gt: usize, gp: usize, rows: i32, width: i32, code: i32, param: f32, epsRow: usize, rectified: bool, state: usize, inv: f32): f64 {
  const zero = f32x4.splat(0);
  const half = f32x4.splat(0.5);
  const paramV = f32x4.splat(param);
  const invV = f32x4.splat(inv);
  let acc = f64x2.splat(0);
  let nan = false;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let i = 0; i < width; i += 4) {
      const left = width - i;
      const o = <usize>(base + i) << 2;
      const d = f32x4.sub(ld(t + o, left), ld(p + o, left));
      // state bytes → lanes: valid where 0, and only the lanes inside the row
      let valid = i32x4.eq(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(state + base + i))), i32x4.splat(0));
      if (left < 4) {
        const s0 = state + base + i; // lanes past the row stay invalid
        valid = i32x4.splat(0);
        if (load<u8>(s0) == 0) valid = i32x4.replace_lane(valid, 0, -1);
        if (left > 1 && load<u8>(s0, 1) == 0) valid = i32x4.replace_lane(valid, 1, -1);
        if (left > 2 && load<u8>(s0, 2) == 0) valid = i32x4.replace_lane(valid, 2, -1);
      }
      let val = f32x4.mul(d, d);
      let der = f32x4.add(d, d);
      if (code != SQUARED) {
        const a = f32x4.abs(d);
        const sg = v128.bitselect(f32x4.splat(1), f32x4.splat(-1), f32x4.gt(d, zero));
        if (code == ABSOLUTE) {
          val = a;
          der = sg;
        } else if (code == HUBER) {
          const small = f32x4.le(a, paramV);
          val = v128.bitselect(f32x4.mul(half, f32x4.mul(d, d)), f32x4.mul(paramV, f32x4.sub(a, f32x4.mul(half, paramV))), small);
          der = v128.bitselect(d, f32x4.mul(paramV, sg), small);
        } else {
          const small = f32x4.lt(a, paramV);
          val = v128.bitselect(f32x4.div(f32x4.mul(half, f32x4.mul(d, d)), paramV), f32x4.sub(a, f32x4.mul(half, paramV)), small);
          der = v128.bitselect(f32x4.div(d, paramV), sg, small);
        }
      }
      const v = f32x4.sub(val, ld(epsRow + (<usize>i << 2), left));
      const passes = rectified ? f32x4.gt(v, zero) : f32x4.eq(v, v);
      const pass = v128.and(valid, passes);
      if (v128.any_true(v128.and(valid, f32x4.ne(v, v)))) nan = true;
      acc = addWide(acc, v128.and(v, pass));
      const gd = v128.and(f32x4.mul(der, invV), pass);
      if (gt) st(gt + o, gd, left);
      if (gp) st(gp + o, f32x4.sub(zero, gd), left); // 0 − gd: +0 where nothing passes, as the scalar path
    }
  }
  return nan ? NaN : total2(acc);
}

/**
 * The mean over valid entries of relu(distance − eps[j]) (eps: f64 per keypoint; without
 * `rectified`, every non-NaN value passes), and the gradients into gt / gp (0: none; zeroed
 * here first). Elementwise derivatives are those tfjs autodiff gives (|d| at 0: −1).
 */
export function keypoints(args: usize): f64 {
  const t = A.t(args);
  const p = A.p(args);
  const conf = A.conf(args);
  const gt = A.gt(args);
  const gp = A.gp(args);
  const frames = A.frames(args);
  const pairs = A.pairs(args);
  const k = A.k(args);
  const c = A.c(args);
  const broadcast = A.broadcast(args);
  const code = A.code(args);
  const param = A.param(args);
  const scale = A.scale(args);
  const eps = A.eps(args);
  const rectified = A.rectified(args);
  const masks = A.masks(args);
  const nMasks = A.nMasks(args);
  const state = A.state(args);
  const sum = A.sum(args);
  const predSize = <usize>(frames * pairs * k * c) << 2;
  if (gp) memory.fill(gp, 0, predSize);
  if (gt) memory.fill(gt, 0, broadcast ? <usize>(frames * k * c) << 2 : predSize);
  const elementLevel = code != NORM;
  const count = validity(t, p, conf, frames, pairs, k, c, elementLevel ? c : 1, broadcast, masks, nMasks, state);
  if (count == 0) return 0;
  const inv = sum ? 1.0 : 1.0 / <f64>count; // `sum`: the sum over valid entries, not the mean
  if (elementLevel && !broadcast) {
    const width = k * c;
    const epsRow = state + ((<usize>(frames * pairs * width) + 15) & ~15);
    for (let j = 0; j < k; j++) for (let e = 0; e < c; e++) store<f32>(epsRow + (<usize>(j * c + e) << 2), <f32>load<f64>(eps + (<usize>j << 3)));
    return elementwiseRows(t, p, gt, gp, frames * pairs, width, code, <f32>param, epsRow, rectified, state, <f32>inv) * inv;
  }
  let total: f64 = 0;
  for (let b = 0; b < frames; b++)
    for (let q = 0; q < pairs; q++)
      for (let j = 0; j < k; j++) {
        const kp = (b * pairs + q) * k + j;
        const pb = kp * c;
        const tb = broadcast ? (b * k + j) * c : pb;
        const ej = load<f64>(eps + (<usize>j << 3));
        if (elementLevel) {
          for (let e = 0; e < c; e++) {
            if (load<u8>(state + pb + e) != 0) continue;
            const d = <f64>load<f32>(t + (<usize>(tb + e) << 2)) - <f64>load<f32>(p + (<usize>(pb + e) << 2));
            let val: f64 = 0;
            let der: f64 = 0;
            if (code == SQUARED) {
              val = d * d;
              der = 2 * d;
            } else {
              const a = Math.abs(d);
              const sg: f64 = d > 0 ? 1 : -1;
              if (code == ABSOLUTE) {
                val = a;
                der = sg;
              } else if (code == HUBER) {
                if (a <= param) {
                  val = 0.5 * d * d;
                  der = d;
                } else {
                  val = param * (a - 0.5 * param);
                  der = param * sg;
                }
              } else if (a < param) {
                val = (0.5 * d * d) / param;
                der = d / param;
              } else {
                val = a - 0.5 * param;
                der = sg;
              }
            }
            const v = <f64><f32>val - ej; // float32, as the reference, against ε
            if (v > 0 || (!rectified && v == v)) {
              total += v;
              addAt(gt, tb + e, der * inv);
              addAt(gp, pb + e, -der * inv);
            } else if (v != v) total = NaN;
          }
        } else {
          if (load<u8>(state + kp) != 0) continue;
          let s: f64 = 0;
          for (let e = 0; e < c; e++) {
            const d = <f64>load<f32>(t + (<usize>(tb + e) << 2)) - <f64>load<f32>(p + (<usize>(pb + e) << 2));
            s += d * d;
          }
          const n = Math.sqrt(s);
          const v = <f64><f32>(n * scale) - ej;
          if (v > 0 || (!rectified && v == v)) {
            total += v;
            if (n > 0 && (gt || gp))
              for (let e = 0; e < c; e++) {
                const gd = ((<f64>load<f32>(t + (<usize>(tb + e) << 2)) - <f64>load<f32>(p + (<usize>(pb + e) << 2))) / n) * (scale * inv);
                addAt(gt, tb + e, gd);
                addAt(gp, pb + e, -gd);
              }
          } else if (v != v) total = NaN;
        }
      }
  return total * inv;
}
