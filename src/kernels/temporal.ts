import { KL_OFFSET } from '../ops/kl.js';
import type { FusedForward } from './fused.js';

const f32 = Math.fround;
const OFFSET = f32(KL_OFFSET);

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

let scratch = new Float64Array(0);

/**
 * temporal_heatmap_mse / _kl over (B, K, H, W): per pair of consecutive maps the per-pixel mean
 * squared change, or KL(map t+1 ‖ map t); confidence masks, relu(· − ε_k), mean.
 * Inputs: [pred] or [confidences, pred]. Logs of every map are taken once (KL).
 */
export const temporalHeatmapForward =
  (kind: 'temporal_heatmap_mse' | 'temporal_heatmap_kl', frames: number, k: number, pixels: number, eps: Float64Array, masks: readonly PairMask[], hasConf: boolean): FusedForward =>
  (ins, grads) => {
    const conf = hasConf ? ins[0] : null;
    const p = ins[hasConf ? 1 : 0];
    if (frames < 2) return 0;
    const g = grads?.[0];
    const { valid, count } = pairValidity(conf, frames, k, masks);
    if (count <= 0) return 0;
    const scale = 1 / count;
    const kl = kind === 'temporal_heatmap_kl';
    let logs = scratch;
    if (kl) {
      if (scratch.length < p.length) scratch = new Float64Array(p.length);
      logs = scratch;
    }
    const logged = new Uint8Array(frames * k);
    const ensureLogs = (map: number) => {
      if (logged[map]) return;
      logged[map] = 1;
      for (let i = map * pixels, end = i + pixels; i < end; i++) logs[i] = Math.log(f32(p[i] + OFFSET));
    };
    let total = 0;
    for (let t = 0; t < frames - 1; t++)
      for (let j = 0; j < k; j++) {
        if (!valid[t * k + j]) continue;
        const a = (t * k + j) * pixels; // map at t
        const b = a + k * pixels; // map at t+1
        let d = 0;
        if (kl) {
          ensureLogs(t * k + j);
          ensureLogs((t + 1) * k + j);
          for (let i = 0; i < pixels; i++) d += f32(p[b + i] + OFFSET) * (logs[b + i] - logs[a + i]);
        } else {
          for (let i = 0; i < pixels; i++) {
            const e = p[a + i] - p[b + i];
            d += e * e;
          }
          d /= pixels;
        }
        const v = d - eps[j];
        if (v > 0) {
          total += v;
          if (!g) continue;
          if (kl)
            for (let i = 0; i < pixels; i++) {
              const A = f32(p[b + i] + OFFSET);
              const B = f32(p[a + i] + OFFSET);
              g[b + i] += (logs[b + i] + 1 - logs[a + i]) * scale;
              g[a + i] -= (A / B) * scale;
            }
          else {
            const c = (2 / pixels) * scale;
            for (let i = 0; i < pixels; i++) {
              const e = (p[a + i] - p[b + i]) * c;
              g[a + i] += e;
              g[b + i] -= e;
            }
          }
        } else if (v !== v) total = NaN;
      }
    return total * scale;
  };
