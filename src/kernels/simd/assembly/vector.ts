// AssemblyScript (compiled by `npm run build:wasm` into ../kernels.wasm), not TypeScript for tsc.
// Vector helpers shared by the kernels: float32x4 natural log, lanes past the end of a buffer,
// and float64 accumulation of float32 lanes.

/** √½: mantissas below it are doubled so that the polynomial's argument stays in [√½ − 1, √2 − 1). */
const SQRT_HALF: f32 = 0.70710678118654752440;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const MIN_NORMAL: f32 = 1.17549435e-38;

/**
 * ln x of four float32 lanes to about one float32 ulp: x = m·2^e with m in [√½, √2), then
 * ln(1 + (m − 1)) by a degree-9 minimax polynomial (the classic Cephes logf coefficients) and
 * e·ln 2 in two parts. Zero gives −∞, negative or NaN gives NaN, +∞ gives +∞; subnormal inputs
 * are scaled by 2²³ first. Those lanes take the slower branch, which normal inputs never see.
 */
// @ts-ignore: decorator
@inline export function log4(x: v128): v128 {
  if (!i32x4.all_true(normal4(x))) return logSpecial(x);
  return logNormal(x, f32x4.splat(0));
}

/** All ones in the lanes that are positive, finite and not subnormal. */
// @ts-ignore: decorator
@inline function normal4(x: v128): v128 {
  return v128.and(f32x4.ge(x, f32x4.splat(MIN_NORMAL)), f32x4.lt(x, f32x4.splat(Infinity)));
}

/**
 * ln(a/b) given r = a/b (float32): ln r where r is an ordinary number, else ln a − ln b — in the
 * lanes where the quotient under- or overflowed (a tiny target against a huge prediction) that
 * keeps the finite value the reference gets from its two separate logs.
 */
// @ts-ignore: decorator
@inline export function logRatio4(a: v128, b: v128, r: v128): v128 {
  const ok = normal4(r);
  if (i32x4.all_true(ok)) return logNormal(r, f32x4.splat(0));
  return v128.bitselect(logSpecial(r), f32x4.sub(log4(a), log4(b)), ok);
}

// @ts-ignore: decorator
@inline function logNormal(x: v128, exponentShift: v128): v128 {
  // exponent with the mantissa taken to [0.5, 1)
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  const small = f32x4.lt(m, f32x4.splat(SQRT_HALF)); // all ones where m < √½
  e = i32x4.add(e, small); // e − 1 there
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), f32x4.splat(1)); // 2m − 1 there, m − 1 elsewhere
  const fe = f32x4.add(f32x4.convert_i32x4_s(e), exponentShift);
  const z = f32x4.mul(m, m);
  let y = f32x4.splat(7.0376836292e-2);
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.1514610310e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.1676998740e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.2420140846e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.4249322787e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.6668057665e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(2.0000714765e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-2.4999993993e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(fe, f32x4.splat(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  return f32x4.add(f32x4.add(m, y), f32x4.mul(fe, f32x4.splat(LN2_HI)));
}

/** log4 for lanes that are zero, negative, subnormal, infinite or NaN. */
function logSpecial(x: v128): v128 {
  const sub = f32x4.lt(x, f32x4.splat(MIN_NORMAL));
  const scaled = v128.bitselect(f32x4.mul(x, f32x4.splat(8388608)), x, sub); // ×2²³
  const shift = v128.and(f32x4.splat(-23), sub);
  const safe = v128.bitselect(f32x4.splat(1), scaled, f32x4.le(scaled, f32x4.splat(0)));
  let r = logNormal(v128.bitselect(f32x4.splat(1), safe, f32x4.eq(safe, f32x4.splat(Infinity))), shift);
  r = v128.bitselect(f32x4.splat(Infinity), r, f32x4.eq(x, f32x4.splat(Infinity)));
  r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(x, f32x4.splat(0)));
  return v128.bitselect(f32x4.splat(NaN), r, v128.or(f32x4.lt(x, f32x4.splat(0)), f32x4.ne(x, x)));
}

/** The first `n` (< 4) float32 values at `ptr` as lanes; the other lanes are 0. */
// @ts-ignore: decorator
@inline export function loadTail(ptr: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(ptr));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(ptr, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(ptr, 8));
  return v;
}

/** Store the first `n` (< 4) lanes of `v` at `ptr`. */
// @ts-ignore: decorator
@inline export function storeTail(ptr: usize, v: v128, n: i32): void {
  store<f32>(ptr, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(ptr, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(ptr, f32x4.extract_lane(v, 2), 8);
}

/** acc (two float64 lanes) + the four float32 lanes of v, pairwise. */
// @ts-ignore: decorator
@inline export function addWide(acc: v128, v: v128): v128 {
  return f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))));
}

/** The sum of the two float64 lanes. */
// @ts-ignore: decorator
@inline export function total2(acc: v128): f64 {
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}

/**
 * e^x of four float32 lanes for x ≤ 0 (Gaussian profiles), to about one float32 ulp: x = n·ln 2 + r,
 * e^r by the classic Cephes expf polynomial, times 2^n through the exponent bits. Below −87.3
 * (where float32 turns subnormal) the result is 0.
 */
// @ts-ignore: decorator
@inline export function expNeg4(x: v128): v128 {
  const low = f32x4.lt(x, f32x4.splat(-87.33));
  const n = f32x4.floor(f32x4.add(f32x4.mul(f32x4.max(x, f32x4.splat(-87.33)), f32x4.splat(1.44269504088896341)), f32x4.splat(0.5)));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(expReduced(f32x4.max(x, f32x4.splat(-87.33)), n), scale), low);
}

/** e^r for x = n·ln 2 + r (|r| ≤ ½ ln 2): the classic Cephes expf polynomial. */
// @ts-ignore: decorator
@inline function expReduced(xc: v128, n: v128): v128 {
  const r = f32x4.sub(f32x4.sub(xc, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  return f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
}

/**
 * e^x of four float32 lanes over the whole float32 range: as expNeg4, with 2^n applied in two
 * halves so that results up to the largest float32 stay finite; above 88.72 +∞, NaN stays NaN.
 */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  const low = f32x4.lt(x, f32x4.splat(-87.33));
  const high = f32x4.gt(x, f32x4.splat(88.72284));
  const xc = f32x4.min(f32x4.max(x, f32x4.splat(-87.33)), f32x4.splat(88.72284));
  const n = f32x4.floor(f32x4.add(f32x4.mul(xc, f32x4.splat(1.44269504088896341)), f32x4.splat(0.5)));
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const h = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(h, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, h), i32x4.splat(127)), 23);
  const y = f32x4.mul(f32x4.mul(expReduced(xc, n), s1), s2);
  return v128.andnot(v128.bitselect(f32x4.splat(Infinity), y, high), low);
}
