import { errorFloorScale } from '../pca/reproject.js';
import type { PcaFit } from '../pca/types.js';
import type { SimdForward } from './fused.js';

const CENTERING = { none: 0, mean: 1, median: 2 } as const;

/**
 * pca_singleview / pca_multiview on predictions (B, 2K), one SIMD pass per row
 * (`pcaReprojection` in simd/assembly/pca.ts): format rows as the fit data, centre, subtract
 * the mean, the residual d = (I − EᵀE)(x − μ), per-keypoint ‖d‖, relu(· − ε), mean — and the
 * gradient back through the projection, the centering and the formatting.
 *
 * The fit's constants are laid out once per input width and copied into scratch per call: the input
 * column of each formatted column (i32), the mean (f64), and P = I − EᵀE (f32, columns padded
 * to a multiple of 4), then the kernel's work area.
 */
export const pcaKernel = (pca: PcaFit, k: number, eps: number, sum: boolean): { forward: (frames: number) => SimdForward; scratchBytes: number } => {
  const fmt = pca.format;
  const E = pca.kept.data;
  const n = pca.kept.rows;
  const d = pca.mean.length;
  const dPad = (d + 3) & ~3;
  // for each formatted row of a frame and each of its columns: the flat input column it reads
  const source: number[] =
    fmt.kind === 'multiview'
      ? fmt.matches[0].flatMap((_, j) => fmt.matches.flatMap((view) => [2 * view[j], 2 * view[j] + 1]))
      : (fmt.columns ?? Array.from({ length: k }, (_, i) => i)).flatMap((c) => [2 * c, 2 * c + 1]);
  const perFrame = source.length / d;
  const P = new Float32Array(d * dPad);
  for (let a = 0; a < d; a++)
    for (let b = 0; b < d; b++) {
      let s = a === b ? 1 : 0;
      for (let i = 0; i < n; i++) s -= E[i * d + a] * E[i * d + b];
      P[a * dPad + b] = s;
    }
  const centering = CENTERING[(fmt.kind === 'singleview' ? fmt.centering : null) ?? 'none'];
  // scratch: mean f64[d] | P f32[d·dPad] | source i32 | work (xs, mw f64[d], sorted f64[d/2], 4 × f32[dPad])
  const at = { mean: 0, P: 8 * d, source: 8 * d + 4 * d * dPad };
  const work = (at.source + 4 * source.length + 15) & ~15;
  const scratchBytes = work + 16 * d + 4 * d + 16 + 16 * dPad + 16; // gd may be written 4 floats past dPad
  return {
    scratchBytes,
    forward:
      (frames) =>
      ({ run, memory, ins: [x], scratch }, grads) => {
        new Float64Array(memory.buffer, scratch + at.mean, d).set(pca.mean);
        new Float32Array(memory.buffer, scratch + at.P, P.length).set(P);
        new Int32Array(memory.buffer, scratch + at.source, source.length).set(source);
        return run('pcaReprojection', {
          x,
          g: grads?.[0] ?? 0,
          frames,
          width: 2 * k,
          src: scratch + at.source,
          perFrame,
          d,
          dPad,
          mean: scratch + at.mean,
          P: scratch + at.P,
          centering,
          eps,
          floor: errorFloorScale(d),
          work: scratch + work,
          sum,
        });
      },
  };
};
