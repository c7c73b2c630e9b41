import type { SimdForward } from './fused.js';

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
const NORM = -1;

/**
 * An elementwise distance per coordinate, or a per-keypoint distance ‖t − p‖·norm, then
 * relu(· − ε_k), masked, mean — `keypoints` in simd/assembly/keypoints.ts. Inputs are handed
 * as pointers to [t, p, conf?]; gradients for whichever of t, p are predictions (`gradFor`).
 * Scratch: ε per keypoint (f64), the masks (5 f64 each), a validity byte per entry, and for
 * elementwise losses ε per entry of a row (f32).
 */
export const keypointKernel = (
  g: KeypointGeometry,
  kind: { elementwise: Elementwise; param: number } | { norm: number },
  masks: readonly KernelMask[],
  eps: Float64Array,
  gradFor: readonly (0 | 1)[],
  rectified: boolean,
  sum: boolean,
): { forward: (tcp: readonly number[]) => SimdForward; scratchBytes: number } => {
  const { frames, pairs, keypoints: k, coords: c, targetBroadcast } = g;
  const elementLevel = 'elementwise' in kind;
  const code = elementLevel ? CODES[kind.elementwise] : NORM;
  const param = elementLevel ? kind.param : 0;
  const scale = elementLevel ? 1 : kind.norm;
  const maskData = Float64Array.from(masks.flatMap((m) => [m.input, m.kind === 'nan' ? 1 : 0, m.element ? 1 : 0, m.below, m.drop ? 1 : 0]));
  const at = { eps: 0, masks: 8 * k, state: 8 * k + 8 * maskData.length };
  return {
    // elementwise: the validity bytes are followed (16-aligned) by ε per entry of a row, f32
    scratchBytes: at.state + frames * pairs * k * (elementLevel ? c : 1) + (elementLevel ? 16 + 4 * k * c : 0),
    forward:
      ([t, p, conf = 0]) =>
      ({ run, memory, scratch }, grads) => {
        new Float64Array(memory.buffer, scratch + at.eps, k).set(eps);
        new Float64Array(memory.buffer, scratch + at.masks, maskData.length).set(maskData);
        const grad = (input: 0 | 1) => (grads && gradFor.includes(input) ? grads[gradFor.indexOf(input)] : 0);
        return run('keypoints', {
          t,
          p,
          conf,
          gt: grad(0),
          gp: grad(1),
          frames,
          pairs,
          k,
          c,
          broadcast: targetBroadcast,
          code,
          param,
          scale,
          eps: scratch + at.eps,
          rectified,
          masks: scratch + at.masks,
          nMasks: masks.length,
          state: scratch + at.state,
          sum,
        });
      },
  };
};
