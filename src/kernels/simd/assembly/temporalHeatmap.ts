// AssemblyScript: temporal_heatmap_mse / temporal_heatmap_kl over (B, K, H, W) predicted maps.
import { addWide, logRatio4, total2 } from './vector';
import { ld, squaredDiffSum, st } from './heatmap';
import { temporalHeatmapArgs as A } from './descriptors';

const OFFSET: f32 = 1e-10;

/** KL(B ‖ A) = Σ B·ln(B/A), A = a + 1e-10 (frame t), B = b + 1e-10 (frame t + 1). */
function klChange(a: usize, b: usize, n: i32): f64 {
  const off = f32x4.splat(OFFSET);
  let acc = f64x2.splat(0);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const B = f32x4.add(ld(b + o, n - i), off);
    const A = f32x4.add(ld(a + o, n - i), off);
    acc = addWide(acc, f32x4.mul(B, logRatio4(B, A, f32x4.div(B, A))));
  }
  return total2(acc);
}

/** Add the pair's gradient, scaled, into ga (map t) and gb (map t + 1). */
function mseChangeGrad(a: usize, b: usize, ga: usize, gb: usize, n: i32, scale: f32): void {
  const c = f32x4.splat(2 * scale / <f32>n);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const e = f32x4.mul(f32x4.sub(ld(a + o, n - i), ld(b + o, n - i)), c);
    st(ga + o, f32x4.add(ld(ga + o, n - i), e), n - i);
    st(gb + o, f32x4.sub(ld(gb + o, n - i), e), n - i);
  }
}

/** ∂KL/∂B = ln(B/A) + 1 and ∂KL/∂A = −B/A, scaled, added into gb and ga. */
function klChangeGrad(a: usize, b: usize, ga: usize, gb: usize, n: i32, scale: f32): void {
  const off = f32x4.splat(OFFSET);
  const c = f32x4.splat(scale);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const B = f32x4.add(ld(b + o, n - i), off);
    const A = f32x4.add(ld(a + o, n - i), off);
    const r = f32x4.div(B, A);
    st(gb + o, f32x4.add(ld(gb + o, n - i), f32x4.mul(f32x4.add(logRatio4(B, A, r), f32x4.splat(1)), c)), n - i);
    st(ga + o, f32x4.sub(ld(ga + o, n - i), f32x4.mul(r, c)), n - i);
  }
}

/**
 * The change between consecutive maps of each keypoint (`frames` × `k` maps of `pixels` floats):
 * for each pair (t, j) with `valid[t·k + j]` ≠ 0, relu(change − eps[j]) (eps: float64 per
 * keypoint) is summed; the sum × `scale` is returned, and when g ≠ 0 the gradient (g is zeroed
 * first). An unmasked NaN change makes the result NaN.
 */
export function temporalHeatmap(args: usize): f64 {
  const kl = A.kl(args);
  const p = A.p(args);
  const g = A.g(args);
  const frames = A.frames(args);
  const k = A.k(args);
  const pixels = A.pixels(args);
  const valid = A.valid(args);
  const eps = A.eps(args);
  const scale = A.scale(args);
  const bytes = <usize>pixels << 2;
  const stride = <usize>k * bytes; // from a map to the same keypoint's map one frame later
  if (g) memory.fill(g, 0, <usize>frames * stride);
  let total: f64 = 0;
  for (let t = 0; t < frames - 1; t++)
    for (let j = 0; j < k; j++) {
      if (!load<u8>(valid + t * k + j)) continue;
      const o = <usize>(t * k + j) * bytes;
      const a = p + o;
      // the change: KL, or the per-pixel mean of (a − b)²
      const d = kl ? klChange(a, a + stride, pixels) : squaredDiffSum(a, a + stride, 0, pixels, 0) / <f64>pixels;
      const v = <f64><f32>d - load<f64>(eps + (<usize>j << 3)); // the change as the reference's float32, against ε
      if (v > 0) {
        total += v;
        if (!g) continue;
        if (kl) klChangeGrad(a, a + stride, g + o, g + o + stride, pixels, <f32>scale);
        else mseChangeGrad(a, a + stride, g + o, g + o + stride, pixels, <f32>scale);
      } else if (v != v) total = NaN;
    }
  return total * scale;
}
