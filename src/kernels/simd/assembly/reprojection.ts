// AssemblyScript: heatmap_mse against Gaussian maps rendered at keypoints (the reprojection
// loss: gaussian_heatmaps transform + heatmap_mse), fused: the rendered maps are never stored,
// and the gradient goes straight to the keypoints.
import { addWide, expNeg4, total2 } from './vector';
import { anyNonZero, ld, st } from './heatmap';
import { reprojectionArgs as A } from './descriptors';

/**
 * The normalised profile of one axis into `r` (f32[n], padded with zeros to a multiple of 4):
 * r[i] = e^(−(i − c)²/(2σ²)) / Σ_i e^(−(i − c)²/(2σ²)).
 */
function profile(r: usize, n: i32, c: f32, inv2s2: f32): void {
  let sum = f32x4.splat(0);
  const cv = f32x4.splat(c);
  for (let i = 0; i < n; i += 4) {
    const idx = f32x4.add(f32x4.splat(<f32>i), f32x4(0, 1, 2, 3));
    const d = f32x4.sub(idx, cv);
    let g = expNeg4(f32x4.mul(f32x4.mul(d, d), f32x4.splat(-inv2s2)));
    if (n - i < 4) g = v128.and(g, i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n - i)));
    v128.store(r + (<usize>i << 2), g);
    sum = f32x4.add(sum, g);
  }
  const s = f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 1) + f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3);
  const inv = f32x4.splat(1 / s);
  for (let i = 0; i < n; i += 4) v128.store(r + (<usize>i << 2), f32x4.mul(v128.load(r + (<usize>i << 2)), inv));
}

/**
 * ∂L/∂c of a normalised profile r (n entries) given ∂L/∂r = g: with r_i = e_i/Σe and
 * ∂e_i/∂c = e_i·(i − c)/σ², it is Σ g_i r_i (i − c)/σ² − (Σ g_i r_i)(Σ r_i (i − c)/σ²).
 */
function profileGrad(r: usize, g: usize, n: i32, c: f32, invs2: f32): f64 {
  let a: f64 = 0; // Σ g r (i − c)
  let b: f64 = 0; // Σ g r
  let m: f64 = 0; // Σ r (i − c)
  for (let i = 0; i < n; i++) {
    const ri = <f64>load<f32>(r + (<usize>i << 2));
    const gi = <f64>load<f32>(g + (<usize>i << 2));
    const di = <f64>i - <f64>c;
    a += gi * ri * di;
    b += gi * ri;
    m += ri * di;
  }
  return (a - b * m) * <f64>invs2;
}

/**
 * `maps` target maps t (H × W each) against maps rendered at keypoints kp (f32 pairs x, y in
 * image pixels, scaled by sx, sy to heatmap pixels): the mean over the maps whose target is not
 * all zero (drop) of Σ (t − m)², m = a σ-Gaussian normalised to sum 1 — a zero map when the
 * keypoint is NaN or off the grid by more than one pixel. When gkp ≠ 0, ∂/∂kp is written there.
 * Scratch: `flags` (a byte per map) and `work` (4 × f32[W or H, padded to 4] + 16).
 */
export function reprojection(args: usize): f64 {
  const t = A.t(args);
  const kp = A.kp(args);
  const gkp = A.gkp(args);
  const maps = A.maps(args);
  const H = A.H(args);
  const W = A.W(args);
  const sx = A.sx(args);
  const sy = A.sy(args);
  const sigma = A.sigma(args);
  const flags = A.flags(args);
  const work = A.work(args);
  const sum = A.sum(args);
  const bytes = <usize>(H * W) << 2;
  const Wp = (W + 3) & ~3;
  const Hp = (H + 3) & ~3;
  const rx = (work + 15) & ~15;
  const ry = rx + (<usize>Wp << 2);
  const u = ry + (<usize>Hp << 2); // ∂L/∂rx
  const v = u + (<usize>Wp << 2); // ∂L/∂ry
  let count = 0;
  for (let m = 0; m < maps; m++) {
    const valid = anyNonZero(t + <usize>m * bytes, H * W);
    store<u8>(flags + m, valid);
    count += <i32>valid;
  }
  if (gkp) memory.fill(gkp, 0, <usize>maps << 3);
  if (count == 0) return 0;
  const scale = <f32>(sum ? <f64>(H * W) : 1.0 / <f64>count); // `sum`: of heatmap_mse's per-pixel elements, (t − m)²·H·W
  const inv2s2: f32 = 1 / (2 * sigma * sigma);
  let total: f64 = 0;
  for (let m = 0; m < maps; m++) {
    if (!load<u8>(flags + m)) continue;
    const tm = t + <usize>m * bytes;
    const kx = load<f32>(kp + (<usize>m << 3));
    const ky = load<f32>(kp + (<usize>m << 3), 4);
    const x = kx * sx;
    const y = ky * sy;
    // NaN compares false: a NaN keypoint is off the grid
    const on = x >= -1 && x <= <f32>(W + 1) && y >= -1 && y <= <f32>(H + 1);
    let acc = f64x2.splat(0);
    if (!on) {
      // a zero map: Σ t², no gradient to the keypoint
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w += 4) {
          const tv = ld(tm + (<usize>(h * W + w) << 2), W - w);
          acc = addWide(acc, f32x4.mul(tv, tv));
        }
      total += total2(acc);
      continue;
    }
    profile(rx, W, x, inv2s2);
    profile(ry, H, y, inv2s2);
    memory.fill(u, 0, <usize>Wp << 2);
    const c = f32x4.splat(-2 * scale);
    for (let h = 0; h < H; h++) {
      const ryh = f32x4.splat(load<f32>(ry + (<usize>h << 2)));
      let vh = f32x4.splat(0);
      let row = f32x4.splat(0); // float32 within a row, float64 across rows
      for (let w = 0; w < W; w += 4) {
        const o = <usize>w << 2;
        const rxv = v128.load(rx + o);
        const d = f32x4.sub(ld(tm + (<usize>(h * W) << 2) + o, W - w), f32x4.mul(rxv, ryh));
        row = f32x4.add(row, f32x4.mul(d, d));
        if (!gkp) continue;
        const G = f32x4.mul(d, c); // ∂L/∂m, zero in the padding lanes
        v128.store(u + o, f32x4.add(v128.load(u + o), f32x4.mul(G, ryh)));
        vh = f32x4.add(vh, f32x4.mul(G, rxv));
      }
      acc = addWide(acc, row);
      store<f32>(v + (<usize>h << 2), f32x4.extract_lane(vh, 0) + f32x4.extract_lane(vh, 1) + f32x4.extract_lane(vh, 2) + f32x4.extract_lane(vh, 3));
    }
    total += total2(acc);
    if (!gkp) continue;
    const invs2: f32 = <f32>2 * inv2s2;
    store<f32>(gkp + (<usize>m << 3), <f32>(profileGrad(rx, u, W, x, invs2) * <f64>sx));
    store<f32>(gkp + (<usize>m << 3), <f32>(profileGrad(ry, v, H, y, invs2) * <f64>sy), 4);
  }
  return total * <f64>scale;
}
