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
    if (count === 0) return 0; // D1: empty reduction is 0, gradients stay 0
    const g = grads?.[0];
    const scale = 1 / count;
    let total = 0;
    for (let m = 0; m < maps; m++) {
      if (!valid[m]) continue;
      const start = m * pixels;
      const end = start + pixels;
      if (kind === 'heatmap_mse') {
        for (let i = start; i < end; i++) {
          const d = t[i] - p[i];
          total += d * d;
          if (g) g[i] = -2 * d * scale;
        }
      } else if (kind === 'heatmap_kl') {
        for (let i = start; i < end; i++) {
          const T = f32(t[i] + OFFSET);
          const P = f32(p[i] + OFFSET);
          total += T * (Math.log(T) - Math.log(P));
          if (g) g[i] = (-T / P) * scale;
        }
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
