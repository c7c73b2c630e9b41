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

const CODES: Record<Elementwise, number> = { squared_error: 0, absolute_error: 1, huber: 2, smooth_l1: 3 };

/** Per (frame, pair, keypoint[, coordinate]): valid (0), zeroed (1) or dropped (2); and the mean's count. */
const validity = (g: KeypointGeometry, ins: Float32Array[], masks: readonly KernelMask[], elementLevel: boolean) => {
  const { frames, pairs, keypoints: k, coords: c, targetBroadcast } = g;
  const per = elementLevel ? c : 1;
  const n = frames * pairs * k * per;
  const state = new Uint8Array(n);
  if (masks.length === 0) return { state, count: n };
  for (const m of masks) {
    const mark = m.drop ? 2 : 1;
    const below = Math.fround(m.below);
    const x = ins[m.input];
    const perElement = m.kind === 'nan' && m.element && elementLevel;
    let i = 0; // index into state: ((b·P + q)·K + j)·per + e
    for (let b = 0; b < frames; b++)
      for (let q = 0; q < pairs; q++)
        for (let j = 0; j < k; j++, i += per) {
          if (m.kind === 'below') {
            if (x[b * k + j] < below) for (let e = 0; e < per; e++) if (state[i + e] < mark) state[i + e] = mark;
            continue;
          }
          const base = (m.input === 0 && targetBroadcast ? b * k + j : (b * pairs + q) * k + j) * c;
          if (perElement) {
            for (let e = 0; e < c; e++) if (x[base + e] !== x[base + e] && state[i + e] < mark) state[i + e] = mark;
            continue;
          }
          let bad = false;
          for (let e = 0; e < c; e++) if (x[base + e] !== x[base + e]) bad = true;
          if (bad) for (let e = 0; e < per; e++) if (state[i + e] < mark) state[i + e] = mark;
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
    const code = elementLevel ? CODES[kind.elementwise] : -1;
    const param = elementLevel ? kind.param : 0;
    const scale = elementLevel ? 1 : (kind as { norm: number }).norm;
    const inv = 1 / count;
    const gt = grads && gradFor.includes(0) ? grads[gradFor.indexOf(0)] : undefined;
    const gp = grads && gradFor.includes(1) ? grads[gradFor.indexOf(1)] : undefined;
    let total = 0;
    for (let b = 0; b < frames; b++)
      for (let q = 0; q < pairs; q++)
        for (let j = 0; j < k; j++) {
          const pb = ((b * pairs + q) * k + j) * c;
          const tb = targetBroadcast ? (b * k + j) * c : pb;
          if (code >= 0) {
            const ej = eps[j];
            for (let e = 0; e < c; e++) {
              if (state[pb + e] !== 0) continue;
              const d = t[tb + e] - p[pb + e];
              // value and derivative of the elementwise distance (derivatives as tfjs autodiff gives them;
              // its Abs gradient is step(x, −1): −1 at 0)
              let val: number;
              let der: number;
              if (code === 0) {
                val = d * d;
                der = 2 * d;
              } else {
                const a = d < 0 ? -d : d;
                const sg = d > 0 ? 1 : -1;
                if (code === 1) {
                  val = a;
                  der = sg;
                } else if (code === 2) {
                  if (a <= param) ((val = 0.5 * d * d), (der = d));
                  else ((val = param * (a - 0.5 * param)), (der = param * sg));
                } else if (a < param) ((val = (0.5 * d * d) / param), (der = d / param));
                else ((val = a - 0.5 * param), (der = sg));
              }
              const v = val - ej;
              // without a rectify step every valid element passes (|d| at d = 0 keeps its subgradient)
              if (v > 0 || (!rectified && v === v)) {
                total += v;
                if (gt) gt[tb + e] += der * inv;
                if (gp) gp[pb + e] -= der * inv;
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
