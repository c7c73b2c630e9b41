import type { SimdKernel } from './fused.js';
import type { Heap } from './memory.js';

/** A confidence mask of the pipeline: invalid where confidence < below at frame t or t+1. */
export interface PairMask {
  readonly below: number;
  readonly mode: 'drop' | 'zero';
}

/**
 * The pair scratch both temporal kernels read: ε per keypoint (f64) at `scratch`, the masks
 * (f64 pairs: threshold, drop), then a validity byte per pair (`pairValidity` in
 * simd/assembly/temporal.ts). `write` fills it and returns the scale (1 / pairs left, or 1 for a sum): 0 when no pair is
 * left or there are fewer than two frames — every pair is then invalid, the result 0, the gradient zero.
 */
const pairs = (frames: number, k: number, eps: Float64Array, masks: readonly PairMask[], sum: boolean) => {
  const maskData = Float64Array.from(masks.flatMap((m) => [m.below, m.mode === 'drop' ? 1 : 0]));
  const validAt = 8 * k + 8 * maskData.length;
  const count = Math.max(0, (frames - 1) * k);
  return {
    scratchBytes: validAt + Math.max(1, count),
    validAt,
    write: ({ run, memory, scratch }: Heap, conf: number): number => {
      new Float64Array(memory.buffer, scratch, k).set(eps);
      new Float64Array(memory.buffer, scratch + 8 * k, maskData.length).set(maskData);
      if (count === 0) return 0;
      const left = run('pairValidity', { conf, frames, k, masks: scratch + 8 * k, nMasks: masks.length, valid: scratch + validAt });
      if (left > 0) return sum ? 1 : 1 / left;
      new Uint8Array(memory.buffer, scratch + validAt, count).fill(0);
      return 0;
    },
  };
};

/**
 * temporal: ‖x[t+1,k] − x[t,k]‖ for keypoints (B, 2K), confidence masks on pairs, relu(· − ε_k),
 * mean — `temporal` in simd/assembly/temporal.ts. Inputs: [pred] or [confidences, pred].
 */
export const temporalKernel = (frames: number, k: number, eps: Float64Array, masks: readonly PairMask[], hasConf: boolean, sum: boolean): SimdKernel => {
  const p = pairs(frames, k, eps, masks, sum);
  return {
    scratchBytes: p.scratchBytes,
    forward: (heap, grads) => {
      const scale = p.write(heap, hasConf ? heap.ins[0] : 0);
      return heap.run('temporal', { x: heap.ins[hasConf ? 1 : 0], g: grads?.[0] ?? 0, frames, k, valid: heap.scratch + p.validAt, eps: heap.scratch, scale });
    },
  };
};

/**
 * temporal_heatmap_mse / _kl over (B, K, H, W): per pair of consecutive maps the per-pixel mean
 * squared change, or KL(map t+1 ‖ map t); confidence masks, relu(· − ε_k), mean — one SIMD pass
 * per pair (`temporalHeatmap` in simd/assembly/temporalHeatmap.ts). Inputs: [pred] or
 * [confidences, pred].
 */
export const temporalHeatmapKernel = (
  kl: boolean,
  frames: number,
  k: number,
  pixels: number,
  eps: Float64Array,
  masks: readonly PairMask[],
  hasConf: boolean,
  sum: boolean,
): SimdKernel => {
  const p = pairs(frames, k, eps, masks, sum);
  return {
    scratchBytes: p.scratchBytes,
    forward: (heap, grads) => {
      const scale = p.write(heap, hasConf ? heap.ins[0] : 0);
      const maps = heap.ins[hasConf ? 1 : 0];
      return heap.run('temporalHeatmap', { kl, p: maps, g: grads?.[0] ?? 0, frames, k, pixels, valid: heap.scratch + p.validAt, eps: heap.scratch, scale });
    },
  };
};
