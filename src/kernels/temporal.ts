import type { FusedForward, SimdForward } from './fused.js';

/** A confidence mask of the pipeline: invalid where confidence < below at frame t or t+1. */
export interface PairMask {
  readonly below: number;
  readonly mode: 'drop' | 'zero';
}

/**
 * Per frame pair (t, t+1) and keypoint: validity from the confidence masks, and the number
 * of elements left in the mean (zeroed pairs stay in it, dropped ones leave it).
 */
const pairValidity = (conf: Float32Array | null, frames: number, k: number, masks: readonly PairMask[]) => {
  const pairs = (frames - 1) * k;
  const valid = new Uint8Array(pairs).fill(1);
  let count = pairs;
  if (!conf || masks.length === 0) return { valid, count };
  // thresholds compare in float32, as the tfjs path and the reference do
  const below = masks.map((m) => Math.fround(m.below));
  for (let i = 0; i < pairs; i++) {
    let dropped = false;
    for (const [mi, m] of masks.entries())
      if (conf[i] < below[mi] || conf[i + k] < below[mi]) {
        valid[i] = 0;
        dropped ||= m.mode === 'drop';
      }
    if (dropped) count--;
  }
  return { valid, count };
};

/**
 * temporal: ‖x[t+1,k] − x[t,k]‖ for keypoints (B, 2K), confidence masks on pairs, relu(· − ε_k),
 * mean. Inputs: [pred] or [confidences, pred].
 */
export const temporalForward =
  (frames: number, k: number, eps: Float64Array, masks: readonly PairMask[], hasConf: boolean): FusedForward =>
  (ins, grads) => {
    if (frames < 2) return 0;
    const conf = hasConf ? ins[0] : null;
    const x = ins[hasConf ? 1 : 0];
    const g = grads?.[0];
    const { valid, count } = pairValidity(conf, frames, k, masks);
    if (count <= 0) return 0;
    const scale = 1 / count;
    let total = 0;
    for (let t = 0; t < frames - 1; t++)
      for (let j = 0; j < k; j++) {
        if (!valid[t * k + j]) continue;
        const a = t * 2 * k + 2 * j;
        const b = a + 2 * k;
        const dx = x[b] - x[a];
        const dy = x[b + 1] - x[a + 1];
        const n = Math.sqrt(dx * dx + dy * dy);
        const v = n - eps[j];
        if (v > 0) {
          total += v;
          if (g && n > 0) {
            const gx = (dx / n) * scale;
            const gy = (dy / n) * scale;
            g[b] += gx;
            g[b + 1] += gy;
            g[a] -= gx;
            g[a + 1] -= gy;
          }
        } else if (v !== v) total = NaN; // an unmasked NaN prediction makes the loss NaN, as the reference
      }
    return total * scale;
  };

/**
 * temporal_heatmap_mse / _kl over (B, K, H, W): per pair of consecutive maps the per-pixel mean
 * squared change, or KL(map t+1 ‖ map t); confidence masks, relu(· − ε_k), mean — one SIMD pass
 * per pair (`temporalHeatmap` in simd/assembly/temporalHeatmap.ts). Inputs: [pred] or
 * [confidences, pred]. Scratch: ε per keypoint (float64), then a validity byte per pair.
 */
export const temporalHeatmapKernel = (
  kind: 'temporal_heatmap_mse' | 'temporal_heatmap_kl',
  frames: number,
  k: number,
  pixels: number,
  eps: Float64Array,
  masks: readonly PairMask[],
  hasConf: boolean,
): { forward: SimdForward; scratchBytes: number } => ({
  scratchBytes: 8 * k + Math.max(1, (frames - 1) * k),
  forward: ({ kernels, memory, ins, scratch }, grads) => {
    const conf = hasConf ? new Float32Array(memory.buffer, ins[0], frames * k) : null;
    const pairs = frames >= 2 ? pairValidity(conf, frames, k, masks) : { valid: new Uint8Array(0), count: 0 };
    // no pair left (or fewer than two frames): every pair invalid, the result 0, the gradient zeroed
    if (pairs.count <= 0) pairs.valid.fill(0);
    const scale = pairs.count > 0 ? 1 / pairs.count : 0;
    new Float64Array(memory.buffer, scratch, k).set(eps);
    new Uint8Array(memory.buffer, scratch + 8 * k, pairs.valid.length).set(pairs.valid);
    return kernels.temporalHeatmap(kind === 'temporal_heatmap_kl', ins[hasConf ? 1 : 0], grads?.[0] ?? 0, frames, k, pixels, scratch + 8 * k, scratch, scale);
  },
});
