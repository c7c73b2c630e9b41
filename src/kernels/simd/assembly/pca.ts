// AssemblyScript: pca_singleview / pca_multiview reprojection error on predictions (B, 2K).
import { pcaReprojectionArgs as A } from './descriptors';
import { addWide, total2 } from './vector';

/** Work area layout (bytes from `work`), for rows of d ≤ `dPad` columns (dPad a multiple of 4). */
// xs: f64[d] row · mw: f64[d] median weights · sorted: f64[d/2] · xr, r, gd, gw: f32[dPad]

/**
 * out (f32[dPad]) = P·v, P: d columns of dPad f32 (symmetric, so columns are rows). Two output
 * vectors at a time, each summed in two chains (even and odd columns) to hide the add latency.
 */
function project(P: usize, v: usize, out: usize, d: i32, dPad: i32): void {
  const colBytes = <usize>dPad << 2;
  for (let q = 0; q < dPad; q += 8) {
    const two = dPad - q >= 8;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let b0 = f32x4.splat(0);
    let b1 = f32x4.splat(0);
    let col = P + (<usize>q << 2);
    let c = 0;
    for (; c + 1 < d; c += 2, col += colBytes << 1) {
      const s0 = v128.load32_splat(v + (<usize>c << 2));
      const s1 = v128.load32_splat(v + (<usize>c << 2), 4);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(col), s0));
      b0 = f32x4.add(b0, f32x4.mul(v128.load(col + colBytes), s1));
      if (two) {
        a1 = f32x4.add(a1, f32x4.mul(v128.load(col, 16), s0));
        b1 = f32x4.add(b1, f32x4.mul(v128.load(col + colBytes, 16), s1));
      }
    }
    if (c < d) {
      const s0 = v128.load32_splat(v + (<usize>c << 2));
      a0 = f32x4.add(a0, f32x4.mul(v128.load(col), s0));
      if (two) a1 = f32x4.add(a1, f32x4.mul(v128.load(col, 16), s0));
    }
    v128.store(out + (<usize>q << 2), f32x4.add(a0, b0));
    if (two) v128.store(out + (<usize>q << 2), f32x4.add(a1, b1), 16);
  }
}

/** The largest |value| of n (even) floats at p, in every lane; NaN ignored (pmax keeps the accumulator). */
function largest(p: usize, n: i32): v128 {
  let a = f32x4.splat(0);
  let b = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    a = f32x4.pmax(a, f32x4.abs(v128.load(p + (<usize>i << 2))));
    b = f32x4.pmax(b, f32x4.abs(v128.load(p + (<usize>i << 2), 16)));
  }
  if (i + 4 <= n) {
    a = f32x4.pmax(a, f32x4.abs(v128.load(p + (<usize>i << 2))));
    i += 4;
  }
  if (i < n) b = f32x4.pmax(b, f32x4.abs(v128.load64_zero(p + (<usize>i << 2)))); // 2 left
  a = f32x4.pmax(a, b);
  a = f32x4.pmax(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return f32x4.pmax(a, v128.shuffle<f32>(a, a, 1, 0, 3, 2));
}

/** The median of the `half` values of one coordinate (stride 2 from `xs`), and its weights into mw. */
function median(xs: usize, mw: usize, sorted: usize, half: i32): f64 {
  for (let j = 0; j < half; j++) {
    const v = load<f64>(xs + (<usize>j << 4));
    let i = j - 1;
    while (i >= 0 && load<f64>(sorted + (<usize>i << 3)) > v) {
      store<f64>(sorted + (<usize>(i + 1) << 3), load<f64>(sorted + (<usize>i << 3)));
      i--;
    }
    store<f64>(sorted + (<usize>(i + 1) << 3), v);
  }
  const lo = load<f64>(sorted + (<usize>((half - 1) >> 1) << 3));
  const hi = load<f64>(sorted + (<usize>(half >> 1) << 3));
  let nlo = 0;
  let nhi = 0;
  for (let j = 0; j < half; j++) {
    const v = load<f64>(xs + (<usize>j << 4));
    if (v == lo) nlo++;
    if (v == hi) nhi++;
  }
  for (let j = 0; j < half; j++) {
    const v = load<f64>(xs + (<usize>j << 4));
    store<f64>(mw + (<usize>j << 4), (v == lo ? 0.5 / <f64>nlo : 0) + (v == hi ? 0.5 / <f64>nhi : 0));
  }
  return 0.5 * (lo + hi);
}

/**
 * Σ over rows and keypoints of relu(‖residual‖ − eps), divided by rows·d/2 (by 1 with `sum`), where a row is
 * `d` columns of frame b read through `src` (i32 input column per formatted column, `perFrame`
 * rows per frame), centred (0 none, 1 mean, 2 median, per coordinate over the row's keypoints;
 * a row with a NaN is all NaN), minus `mean` (f64[d]), and residual = P·row with
 * P = I − EᵀE (f32, d columns of dPad). When g ≠ 0 the gradient w.r.t. x is written (g zeroed first).
 */
export function pcaReprojection(args: usize): f64 {
  const x = A.x(args);
  const g = A.g(args);
  const frames = A.frames(args);
  const width = A.width(args);
  const src = A.src(args);
  const perFrame = A.perFrame(args);
  const d = A.d(args);
  const dPad = A.dPad(args);
  const mean = A.mean(args);
  const P = A.P(args);
  const centering = A.centering(args);
  const eps = A.eps(args);
  const floor = A.floor(args);
  const work = A.work(args);
  const sum = A.sum(args);
  const half = d >> 1;
  const xs = work;
  const mw = xs + (<usize>d << 3);
  const sorted = mw + (<usize>d << 3);
  const xr = (sorted + (<usize>half << 3) + 15) & ~15;
  const r = xr + (<usize>dPad << 2);
  const gd = r + (<usize>dPad << 2);
  const gw = gd + (<usize>dPad << 2) + 16; // gd may be written 4 floats past dPad
  const count = <f64>frames * <f64>perFrame * <f64>half;
  if (g) memory.fill(g, 0, <usize>frames * <usize>width << 2);
  memory.fill(xr, 0, (<usize>dPad << 4) + 16); // padding lanes of xr, r, gd, gw stay 0
  const epsV = f32x4.splat(<f32>eps);
  const norm = sum ? 1.0 : count; // `sum`: the sum over rows and keypoints, not the mean
  const invCount = f32x4.splat(<f32>(1 / norm));
  let acc = f64x2.splat(0); // Σ relu(e − ε)
  let nan = false; // an unmasked NaN error makes the loss NaN
  // Errors at or below float32's resolution are 0 (errorFloorScale in src/pca/reproject.ts): floor · s, s the largest
  // magnitude of the frame's coordinates and of the mean (in float32).
  let meanMax: f32 = 0;
  for (let c = 0; c < d; c++) meanMax = max<f32>(meanMax, abs<f32>(<f32>load<f64>(mean + (<usize>c << 3))));
  const meanMaxV = f32x4.splat(meanMax);
  const floorScale = f32x4.splat(<f32>floor);
  for (let b = 0; b < frames; b++) {
    const row = x + (<usize>b * <usize>width << 2);
    const floorV = f32x4.mul(f32x4.pmax(largest(row, width), meanMaxV), floorScale);
    for (let q = 0; q < perFrame; q++) {
      const cols = src + (<usize>(q * d) << 2);
      let anyNaN = false;
      for (let c = 0; c < d; c++) {
        const v = <f64>load<f32>(row + (<usize>load<i32>(cols + (<usize>c << 2)) << 2));
        if (v != v) anyNaN = true;
        store<f64>(xs + (<usize>c << 3), v);
      }
      if (centering != 0)
        for (let coord = 0; coord < 2; coord++) {
          let c0: f64 = 0;
          if (anyNaN) c0 = NaN;
          else if (centering == 1) {
            for (let j = coord; j < d; j += 2) c0 += load<f64>(xs + (<usize>j << 3));
            c0 /= <f64>half;
          } else c0 = median(xs + (<usize>coord << 3), mw + (<usize>coord << 3), sorted, half);
          for (let j = coord; j < d; j += 2) store<f64>(xs + (<usize>j << 3), anyNaN ? NaN : load<f64>(xs + (<usize>j << 3)) - c0);
        }
      for (let c = 0; c < d; c++) store<f32>(xr + (<usize>c << 2), <f32>(load<f64>(xs + (<usize>c << 3)) - load<f64>(mean + (<usize>c << 3))));
      project(P, xr, r, d, dPad);
      // per keypoint, four at a time: e = ‖(ex, ey)‖, relu(e − ε); gd = (ex, ey)/(e·count) where active
      let active = false;
      for (let c = 0; c < dPad; c += 8) {
        const ra = v128.load(r + (<usize>c << 2));
        const rb = c + 4 < dPad ? v128.load(r + (<usize>c << 2), 16) : f32x4.splat(0);
        // e = m·‖(ex, ey)/m‖ with m = max(|ex|, |ey|): squares of coordinates beyond ~1.8e19 would overflow float32
        const ex = v128.shuffle<f32>(ra, rb, 0, 2, 4, 6);
        const ey = v128.shuffle<f32>(ra, rb, 1, 3, 5, 7);
        const m = f32x4.max(f32x4.abs(ex), f32x4.abs(ey));
        const ms = v128.bitselect(m, f32x4.splat(1), f32x4.gt(m, f32x4.splat(0)));
        const qx = f32x4.div(ex, ms);
        const qy = f32x4.div(ey, ms);
        const e0 = f32x4.mul(ms, f32x4.sqrt(f32x4.add(f32x4.mul(qx, qx), f32x4.mul(qy, qy))));
        const e = v128.andnot(e0, f32x4.le(e0, floorV)); // NaN stays
        const v = f32x4.sub(e, epsV);
        const on = f32x4.gt(v, f32x4.splat(0));
        acc = addWide(acc, v128.and(v, on));
        if (v128.any_true(f32x4.ne(v, v))) nan = true;
        const moving = v128.and(on, f32x4.gt(e, f32x4.splat(0)));
        if (!v128.any_true(moving)) {
          v128.store(gd + (<usize>c << 2), f32x4.splat(0));
          v128.store(gd + (<usize>c << 2), f32x4.splat(0), 16);
          continue;
        }
        active = true;
        const coef = v128.and(f32x4.div(invCount, e), moving);
        v128.store(gd + (<usize>c << 2), v128.and(f32x4.mul(ra, v128.shuffle<f32>(coef, coef, 0, 0, 1, 1)), v128.shuffle<f32>(moving, moving, 0, 0, 1, 1)));
        v128.store(gd + (<usize>c << 2), v128.and(f32x4.mul(rb, v128.shuffle<f32>(coef, coef, 2, 2, 3, 3)), v128.shuffle<f32>(moving, moving, 2, 2, 3, 3)), 16);
      }
      if (!g || !active) continue;
      project(P, gd, gw, d, dPad); // (I − EᵀE) is symmetric: the same map takes the gradient back
      if (centering != 0)
        for (let coord = 0; coord < 2; coord++) {
          let sum: f64 = 0;
          for (let j = coord; j < d; j += 2) sum += <f64>load<f32>(gw + (<usize>j << 2));
          for (let j = coord; j < d; j += 2) {
            const w = centering == 1 ? sum / <f64>half : sum * load<f64>(mw + (<usize>j << 3));
            store<f32>(gw + (<usize>j << 2), <f32>(<f64>load<f32>(gw + (<usize>j << 2)) - w));
          }
        }
      const grow = g + (<usize>b * <usize>width << 2);
      for (let c = 0; c < d; c++) {
        const at = grow + (<usize>load<i32>(cols + (<usize>c << 2)) << 2);
        store<f32>(at, load<f32>(at) + load<f32>(gw + (<usize>c << 2)));
      }
    }
  }
  return count == 0 ? 0 : nan ? NaN : total2(acc) / norm;
}
