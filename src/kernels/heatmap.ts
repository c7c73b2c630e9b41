import { KL_OFFSET } from '../ops/kl.js';
import type { FusedForward } from './fused.js';

const f32 = Math.fround;
const OFFSET = f32(KL_OFFSET);

/**
 * Heatmap losses over (B, K, H, W), empty target maps dropped (when `masked`), mean over the
 * valid maps — one pass per map. Matches heatmap_mse / heatmap_kl / heatmap_js with an
 * `empty_heatmaps` drop mask and a `mean` reduction (the tfjs-ops version is the reference).
 */
export const heatmapForward =
  (kind: 'heatmap_mse' | 'heatmap_kl' | 'heatmap_js', maps: number, pixels: number, masked: boolean): FusedForward =>
  ([t, p], grads) => {
    const valid = new Uint8Array(maps);
    let count = 0;
    for (let m = 0; m < maps; m++) {
      let v = !masked;
      for (let i = m * pixels, end = i + pixels; !v && i < end; i++) v = t[i] !== 0;
      valid[m] = v ? 1 : 0;
      count += valid[m];
    }
    const g = grads?.[0];
    if (count === 0) {
      g?.fill(0);
      return 0; // D1: empty reduction is 0, gradients 0
    }
    const scale = 1 / count;
    let total = 0;
    for (let m = 0; m < maps; m++) {
      const start = m * pixels;
      const end = start + pixels;
      if (!valid[m]) {
        g?.fill(0, start, end); // every gradient entry is written: no separate zeroing pass
        continue;
      }
      if (kind === 'heatmap_mse') {
        for (let i = start; i < end; i++) {
          const d = t[i] - p[i];
          total += d * d;
          if (g) g[i] = -2 * d * scale;
        }
      } else if (kind === 'heatmap_kl') {
        total += klMap(t, p, start, end, g, scale);
      } else {
        for (let i = start; i < end; i++) {
          const T = f32(t[i] + OFFSET);
          const P = f32(p[i] + OFFSET);
          const M = 0.5 * (T + P);
          const lm = Math.log(M);
          const lp = Math.log(P);
          total += 0.5 * (T * (Math.log(T) - lm) + P * (lp - lm));
          if (g) g[i] = 0.5 * (lp - lm) * scale;
        }
      }
    }
    return total * scale;
  };

/** T·ln T of a zero target pixel (T = 0 + 1e-10 in float32). */
const T0 = OFFSET;
const T0_LOG_T0 = T0 * Math.log(T0);

/**
 * KL(T ‖ P) of one map, Σ T·(ln T − ln P), and −T/P·scale into g. Pixels where the target is
 * exactly 0 (most of a Gaussian map) share T = 1e-10: their Σ ln P is taken as the log of a
 * running product (flushed before it leaves double range), one log per ~30 pixels instead of
 * two per pixel. Non-positive or non-finite P take the exact path, so NaN/∞ propagate as in
 * the reference.
 */
const klMap = (t: Float32Array, p: Float32Array, start: number, end: number, g: Float32Array | undefined, scale: number): number => {
  let sum = 0;
  let zeros = 0;
  let logSum = 0;
  let prod = 1;
  for (let i = start; i < end; i++) {
    const P = f32(p[i] + OFFSET);
    if (t[i] === 0) {
      zeros++;
      if (P > 0 && P < 1e300) {
        prod *= P;
        if (prod < 1e-280 || prod > 1e280) {
          logSum += Math.log(prod);
          prod = 1;
        }
      } else logSum += Math.log(P);
      if (g) g[i] = (-T0 / P) * scale;
    } else {
      const T = f32(t[i] + OFFSET);
      sum += T * (Math.log(T) - Math.log(P));
      if (g) g[i] = (-T / P) * scale;
    }
  }
  logSum += Math.log(prod);
  return sum + zeros * T0_LOG_T0 - T0 * logSum;
};
