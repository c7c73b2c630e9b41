import type { SimdKernel } from './fused.js';

/**
 * heatmap_mse against Gaussian maps rendered from keypoints (B, K, 2) — the gaussian_heatmaps
 * transform and the heatmap_mse compute in one pass (`reprojection` in
 * simd/assembly/reprojection.ts): the maps are never stored and the gradient goes straight to
 * the keypoints. Inputs: [targets (B, K, H, W), keypoints]. Empty target maps are dropped.
 */
export const reprojectionKernel = (
  maps: number,
  heatmap: { height: number; width: number },
  image: { height: number; width: number },
  sigma: number,
  sum: boolean,
): SimdKernel => {
  const { height: H, width: W } = heatmap;
  const work = 16 + 4 * (2 * ((W + 3) & ~3) + 2 * ((H + 3) & ~3));
  return {
    scratchBytes: maps + 16 + work,
    forward: ({ run, ins: [t, kp], scratch }, grads) =>
      run('reprojection', {
        t,
        kp,
        gkp: grads?.[0] ?? 0,
        maps,
        H,
        W,
        sx: W / image.width,
        sy: H / image.height,
        sigma,
        flags: scratch,
        work: scratch + ((maps + 15) & ~15),
        sum,
      }),
  };
};
