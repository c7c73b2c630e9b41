import type { SimdKernel } from './fused.js';
import { HEATMAP_KIND } from './simd/index.js';

export type HeatmapKind = keyof typeof HEATMAP_KIND;

/**
 * Heatmap losses over (B, K, H, W), empty target maps dropped (when `masked`), mean over the
 * valid maps (or their sum) — one SIMD pass per map (`heatmap` in simd/assembly/heatmap.ts). Matches
 * heatmap_mse / heatmap_kl / heatmap_js with an `empty_heatmaps` drop mask and a `mean`
 * reduction (the tfjs-ops version is the reference). Inputs: [targets, predictions].
 */
export const heatmapKernel = (kind: HeatmapKind, maps: number, pixels: number, masked: boolean, sum: boolean): SimdKernel => ({
  scratchBytes: maps,
  forward: ({ run, ins: [t, p], scratch }, grads) =>
    run('heatmap', { kind: HEATMAP_KIND[kind], t, p, g: grads?.[0] ?? 0, maps, pixels, masked, flags: scratch, sum }),
});
