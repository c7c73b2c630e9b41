import type { FusedForward } from './fused.js';

/**
 * Keypoint losses on small tensors — elementwise distances (regression, Huber, ...) and
 * per-keypoint distances (rmse, pixel error, 3-D pairwise) — with NaN and confidence masks,
 * rectify and mean, in one loop: on (256, 34) the tfjs-ops path is dozens of ~20 µs ops.
 *
 * Layout: the prediction is (B, P, K, C) flattened (P = 1 except for 3-D camera pairs; C = 2
 * for flat (B, 2K) keypoints); the target is the same, or (B, K, C) broadcast over P.
 */
export interface KeypointGeometry {
  readonly frames: number;
  readonly pairs: number;
  readonly keypoints: number;
  readonly coords: number;
  /** The target has no P axis (3-D target vs per-camera-pair predictions). */
  readonly targetBroadcast: boolean;
}

/** A mask of the plan, as the kernel applies it. */
export interface KernelMask {
  /** Which kernel input it reads: 0 = target, 1 = prediction, 2 = confidences. */
  readonly input: 0 | 1 | 2;
  /** nan (any coordinate NaN, or the element itself when `element`) or confidence below a threshold. */
  readonly kind: 'nan' | 'below';
  readonly element: boolean;
  readonly below: number;
  readonly drop: boolean;
}

export type Elementwise = 'squared_error' | 'absolute_error' | 'huber' | 'smooth_l1';

/** Value and derivative of an elementwise distance at d = t − p (derivatives as tfjs's autodiff gives them). */
const elementwise = (name: Elementwise, param: number) => {
  const sign = (d: number) => (d > 0 ? 1 : -1); // tfjs Abs gradient: step(x, −1)
  switch (name) {
    case 'squared_error':
      return (d: number, out: Float64Array) => ((out[0] = d * d), (out[1] = 2 * d));
    case 'absolute_error':
      return (d: number, out: Float64Array) => ((out[0] = Math.abs(d)), (out[1] = sign(d)));
    case 'huber':
      return (d: number, out: Float64Array) => {
        const a = Math.abs(d);
        if (a <= param) ((out[0] = 0.5 * d * d), (out[1] = d));
        else ((out[0] = param * (a - 0.5 * param)), (out[1] = param * sign(d)));
      };
    case 'smooth_l1':
      return (d: number, out: Float64Array) => {
        const a = Math.abs(d);
        if (a < param) ((out[0] = (0.5 * d * d) / param), (out[1] = d / param));
        else ((out[0] = a - 0.5 * param), (out[1] = sign(d)));
      };
  }
};

/** Per (frame, pair, keypoint): dropped, zeroed or valid, from the masks; and the mean's count. */
const validity = (g: KeypointGeometry, ins: Float32Array[], masks: readonly KernelMask[], elementLevel: boolean) => {
  const { frames, pairs, keypoints: k, coords: c, targetBroadcast } = g;
  const n = frames * pairs * k * (elementLevel ? c : 1);
  const state = new Uint8Array(n); // 0 valid, 1 zeroed, 2 dropped
  const below = masks.map((m) => Math.fround(m.below));
  for (let b = 0; b < frames; b++)
    for (let q = 0; q < pairs; q++)
      for (let j = 0; j < k; j++)
        for (let e = 0; e < (elementLevel ? c : 1); e++) {
          const i = ((b * pairs + q) * k + j) * (elementLevel ? c : 1) + e;
          for (let mi = 0; mi < masks.length; mi++) {
            const m = masks[mi];
            let bad = false;
            if (m.kind === 'below') bad = ins[2][b * k + j] < below[mi];
            else {
              const base = m.input === 0 && targetBroadcast ? (b * k + j) * c : ((b * pairs + q) * k + j) * c;
              const x = ins[m.input];
              if (m.element && elementLevel) bad = x[base + e] !== x[base + e];
              else for (let cc = 0; cc < c; cc++) if (x[base + cc] !== x[base + cc]) bad = true;
            }
            if (bad) state[i] = m.drop ? 2 : Math.max(state[i], 1);
          }
        }
  let count = 0;
  for (let i = 0; i < n; i++) if (state[i] !== 2) count++;
  return { state, count };
};

/**
 * An elementwise distance per coordinate (level: element), or a per-keypoint distance
 * ‖t − p‖·scale (level: keypoint), then relu(· − ε_k), masked, mean. Inputs [t, p, conf?];
 * gradients for whichever of t, p are predictions (`gradFor`).
 */
export const keypointForward =
  (
    g: KeypointGeometry,
    kind: { elementwise: Elementwise; param: number } | { norm: number },
    masks: readonly KernelMask[],
    eps: Float64Array,
    gradFor: readonly (0 | 1)[],
    rectified: boolean,
  ): FusedForward =>
  (ins, grads) => {
    const { frames, pairs, keypoints: k, coords: c, targetBroadcast } = g;
    const t = ins[0];
    const p = ins[1];
    const elementLevel = 'elementwise' in kind;
    const { state, count } = validity(g, ins, masks, elementLevel);
    if (count === 0) return 0;
    const f = elementLevel ? elementwise(kind.elementwise, kind.param) : null;
    const scale = elementLevel ? 1 : (kind as { norm: number }).norm;
    const out = new Float64Array(2);
    const gt = grads && gradFor.includes(0) ? grads[gradFor.indexOf(0)] : undefined;
    const gp = grads && gradFor.includes(1) ? grads[gradFor.indexOf(1)] : undefined;
    let total = 0;
    for (let b = 0; b < frames; b++)
      for (let q = 0; q < pairs; q++)
        for (let j = 0; j < k; j++) {
          const pb = ((b * pairs + q) * k + j) * c;
          const tb = targetBroadcast ? (b * k + j) * c : pb;
          if (f) {
            for (let e = 0; e < c; e++) {
              if (state[pb + e] !== 0) continue;
              const d = t[tb + e] - p[pb + e];
              f(d, out);
              const v = out[0] - eps[j];
              // without a rectify step every valid element passes (|d| at d = 0 keeps its subgradient)
              if (v > 0 || (!rectified && v === v)) {
                total += v;
                const gd = out[1] / count;
                if (gt) gt[tb + e] += gd;
                if (gp) gp[pb + e] -= gd;
              } else if (v !== v) total = NaN;
            }
          } else {
            if (state[(b * pairs + q) * k + j] !== 0) continue;
            let s = 0;
            for (let e = 0; e < c; e++) {
              const d = t[tb + e] - p[pb + e];
              s += d * d;
            }
            const n = Math.sqrt(s);
            const v = n * scale - eps[j];
            if (v > 0 || (!rectified && v === v)) {
              total += v;
              if (n > 0 && (gt || gp))
                for (let e = 0; e < c; e++) {
                  const gd = ((t[tb + e] - p[pb + e]) / n) * (scale / count);
                  if (gt) gt[tb + e] += gd;
                  if (gp) gp[pb + e] -= gd;
                }
            } else if (v !== v) total = NaN;
          }
        }
    return total / count;
  };
