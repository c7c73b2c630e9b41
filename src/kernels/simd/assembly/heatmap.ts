// AssemblyScript: heatmap_mse / heatmap_kl / heatmap_js over (B, K, H, W) float32 maps.
import { heatmapArgs as A } from './descriptors';
import { addWide, loadTail, logRatio4, storeTail, total2 } from './vector';

export const MSE = 0;
export const KL = 1;
export const JS = 2;

/** The reference adds 1e-10 (in float32) to both maps before KL / JS. */
const OFFSET: f32 = 1e-10;

/** Four floats at `ptr`, or the `left` (< 4) that remain, zero-padded. */
// @ts-ignore: decorator
@inline export function ld(ptr: usize, left: i32): v128 {
  return left >= 4 ? v128.load(ptr) : loadTail(ptr, left);
}

/** Store four lanes at `ptr`, or the `left` (< 4) that remain. */
// @ts-ignore: decorator
@inline export function st(ptr: usize, v: v128, left: i32): void {
  if (left >= 4) v128.store(ptr, v);
  else storeTail(ptr, v, left);
}

/** Whether any of `n` floats at `ptr` is non-zero (NaN counts, −0 does not). */
export function anyNonZero(ptr: usize, n: i32): bool {
  for (let i = 0; i < n; i += 4) if (v128.any_true(f32x4.ne(ld(ptr + (<usize>i << 2), n - i), f32x4.splat(0)))) return true;
  return false;
}

/**
 * Σ (a − b)² over n floats, and (a − b)·c into g when g ≠ 0. float32 sums over blocks of 64
 * (16 terms a lane), float64 across blocks: widening every vector to float64 cost as much as
 * the rest of the loop.
 */
export function squaredDiffSum(a: usize, b: usize, g: usize, n: i32, c: f32): f64 {
  const cv = f32x4.splat(c);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 64 <= n; i += 64) {
    let block = f32x4.splat(0);
    for (let j = 0; j < 64; j += 4) {
      const o = <usize>(i + j) << 2;
      const d = f32x4.sub(v128.load(a + o), v128.load(b + o));
      block = f32x4.add(block, f32x4.mul(d, d));
      if (g) v128.store(g + o, f32x4.mul(d, cv));
    }
    acc = addWide(acc, block);
  }
  for (; i < n; i += 4) {
    const o = <usize>i << 2;
    const d = f32x4.sub(ld(a + o, n - i), ld(b + o, n - i));
    acc = addWide(acc, f32x4.mul(d, d));
    if (g) st(g + o, f32x4.mul(d, cv), n - i);
  }
  return total2(acc);
}

/** KL(T ‖ P) = Σ T·ln(T/P) over one map, T = t + 1e-10, P = p + 1e-10; −T/P·scale into g. */
function klMap(t: usize, p: usize, g: usize, n: i32, scale: f32): f64 {
  const off = f32x4.splat(OFFSET);
  const c = f32x4.splat(-scale);
  let acc = f64x2.splat(0);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const T = f32x4.add(ld(t + o, n - i), off);
    const P = f32x4.add(ld(p + o, n - i), off);
    const r = f32x4.div(T, P);
    acc = addWide(acc, f32x4.mul(T, logRatio4(T, P, r)));
    if (g) st(g + o, f32x4.mul(r, c), n - i);
  }
  return total2(acc);
}

/** ½KL(T ‖ M) + ½KL(P ‖ M), M = (T + P)/2, over one map; ½·ln(P/M)·scale into g. */
function jsMap(t: usize, p: usize, g: usize, n: i32, scale: f32): f64 {
  const off = f32x4.splat(OFFSET);
  const half = f32x4.splat(0.5);
  const c = f32x4.splat(0.5 * scale);
  let acc = f64x2.splat(0);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const T = f32x4.add(ld(t + o, n - i), off);
    const P = f32x4.add(ld(p + o, n - i), off);
    const M = f32x4.mul(f32x4.add(T, P), half);
    const lp = logRatio4(P, M, f32x4.div(P, M));
    acc = addWide(acc, f32x4.mul(f32x4.add(f32x4.mul(T, logRatio4(T, M, f32x4.div(T, M))), f32x4.mul(P, lp)), half));
    if (g) st(g + o, f32x4.mul(lp, c), n - i);
  }
  return total2(acc);
}

/**
 * A heatmap loss over `maps` maps of `pixels` floats each: with `masked`, maps whose target is
 * all zero are dropped (their gradient is 0); the mean over the valid maps is returned and, when
 * `g` ≠ 0, its gradient w.r.t. the predictions written to every entry of g (`sum`: the sum of
 * the compute's elements over the valid maps instead of the mean). `flags` holds
 * `maps` bytes of scratch. No valid map: 0, and a zero gradient (D1). Arguments: the descriptor at `args`.
 */
export function heatmap(args: usize): f64 {
  const kind = A.kind(args);
  const t = A.t(args);
  const p = A.p(args);
  const g = A.g(args);
  const maps = A.maps(args);
  const pixels = A.pixels(args);
  const masked = A.masked(args);
  const flags = A.flags(args);
  const sum = A.sum(args);
  const bytes = <usize>pixels << 2;
  let count = 0;
  for (let m = 0; m < maps; m++) {
    const valid = !masked || anyNonZero(t + <usize>m * bytes, pixels);
    store<u8>(flags + m, valid);
    count += <i32>valid;
  }
  if (count == 0) {
    if (g) memory.fill(g, 0, <usize>maps * bytes);
    return 0;
  }
  // heatmap_mse's elements are per pixel, (t − p)²·H·W: their sum is H·W × the per-map sums
  const scale = sum ? (kind == MSE ? <f64>pixels : 1.0) : 1.0 / <f64>count;
  let total: f64 = 0;
  for (let m = 0; m < maps; m++) {
    const o = <usize>m * bytes;
    const gm = g ? g + o : 0;
    if (!load<u8>(flags + m)) {
      if (g) memory.fill(gm, 0, bytes);
    } else if (kind == MSE) total += squaredDiffSum(t + o, p + o, gm, pixels, <f32>(-2 * scale)); // −2(t − p)·scale
    else if (kind == KL) total += klMap(t + o, p + o, gm, pixels, <f32>scale);
    else total += jsMap(t + o, p + o, gm, pixels, <f32>scale);
  }
  return total * scale;
}
