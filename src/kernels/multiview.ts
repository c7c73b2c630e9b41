import * as tf from '@tensorflow/tfjs';
import type { Camera } from '../config/calibration.js';
import { rodrigues } from '../geometry/rotation.js';
import { type SimdKernel, saveWithoutCopy, simdLoss } from './fused.js';
import { type Heap, memoryKernelsAvailable, recordingGradients, withHeap } from './memory.js';
import { callKernel, type KernelArgs } from './simd/descriptors.js';
import { simdKernels } from './simd/index.js';

/**
 * The reproject_views transform, and the multi-view distance losses built on it, as one pass of
 * the `multiview` wasm kernel (float64 per point; the math is described in
 * simd/assembly/multiview.ts) instead of ~1,800 small tfjs kernels — the same math as the
 * tfjs-ops path (src/geometry). Missing views (non-finite, or confidence below `below`) get zero
 * gradients; a point with fewer than 2 views (no pair) is NaN in every view.
 */

/** The rig in float64: per view fx, fy, cx, cy, k1, k2, k3, p1, p2, R (row-major 9), t (3). */
export interface Rig {
  readonly V: number;
  readonly cam: Float64Array; // V × 21
}

const STRIDE = 21;

export const rigOf = (cameras: readonly Camera[]): Rig => {
  const V = cameras.length;
  const cam = new Float64Array(V * STRIDE);
  cameras.forEach((c, i) => {
    const [k1, k2, p1, p2, k3] = c.distortions;
    const R = rodrigues(c.rotation);
    cam.set([c.matrix[0][0], c.matrix[1][1], c.matrix[0][2], c.matrix[1][2], k1, k2, k3, p1, p2, ...R.flat(), ...c.translation], i * STRIDE);
  });
  // shown as a name where a plan's declarations are printed
  return Object.defineProperty({ V, cam }, 'toJSON', { value: () => `the rig's ${V} cameras` });
};

export type Triangulation = 'dlt' | 'pairwise_median';

/** Work-area bytes for V views, as the kernel declares them (asked of an instance on a small memory of its own). */
let probe: WebAssembly.Memory | undefined;
const workBytesByViews = new Map<number, number>();
const workBytes = (V: number): number => {
  let n = workBytesByViews.get(V);
  if (n === undefined) {
    probe ??= new WebAssembly.Memory({ initial: 1 });
    n = callKernel(probe, simdKernels(probe), 0, 'multiviewWorkBytes', { views: V });
    workBytesByViews.set(V, n);
  }
  return n;
};

/** Scratch: cam (V × 21) | masks (2 per mask) | ε (K) | work — all float64, so 8-byte aligned. */
const scratchLayout = (V: number, K: number, nMasks: number, eps: boolean) => {
  const masks = 8 * V * STRIDE;
  const epsAt = masks + 16 * nMasks;
  const work = epsAt + (eps ? 8 * K : 0);
  return { cam: 0, masks, eps: epsAt, work, bytes: work + workBytes(V) };
};

type Args = KernelArgs<'multiview'>;
/** What a call sets; the rest of the descriptor is off (0 / false). */
type Call = Pick<Args, 'B' | 'pts' | 'tconf' | 'below' | 'pairwise'> & Partial<Args>;
const OFF = { out: 0, dy: 0, grad: 0, loss: false, nanPred: false, nanReprojected: false, sum: false, pairs: false } as const;

/** Writes the rig, masks and ε into scratch and runs the kernel with the descriptor `call` completes; returns the loss. */
const runKernel = (
  heap: Heap,
  rig: Rig,
  K: number,
  call: Call,
  masks: readonly (readonly [number, number])[] = [],
  eps: Float64Array | null = null,
): number => {
  const at = scratchLayout(rig.V, K, masks.length, eps !== null);
  const s = heap.scratch;
  const buf = heap.memory.buffer;
  new Float64Array(buf, s + at.cam, rig.cam.length).set(rig.cam);
  new Float64Array(buf, s + at.masks, 2 * masks.length).set(masks.flat());
  if (eps) new Float64Array(buf, s + at.eps, K).set(eps);
  return heap.run('multiview', {
    ...OFF,
    ...call,
    V: rig.V,
    K,
    cam: s + at.cam,
    work: s + at.work,
    masks: s + at.masks,
    nMasks: masks.length,
    eps: eps ? s + at.eps : 0,
  });
};

/**
 * The transform on the kernel for a batch of B frames × K keypoints: `forward` writes the
 * reprojections of the points at `pts` to `out`; `backward` writes dL/dpoints to `grad` from the
 * upstream gradient at `dy`. `tconf`: the confidences' offset, 0 for none.
 */
export const reprojectKernel = (rig: Rig, tri: Triangulation, belowIn: number, B: number, K: number) => {
  const base = { B, below: Math.fround(belowIn), pairwise: tri === 'pairwise_median' };
  return {
    scratchBytes: scratchLayout(rig.V, K, 0, false).bytes,
    forward: (heap: Heap, pts: number, tconf: number, out: number) => void runKernel(heap, rig, K, { ...base, pts, tconf, out }),
    backward: (heap: Heap, pts: number, tconf: number, dy: number, grad: number) => void runKernel(heap, rig, K, { ...base, pts, tconf, dy, grad }),
  };
};

/** The fused reproject_views: points (B, V, K, 2) [+ confidences (B, V, K)] → (B, V, K, 2), differentiable in the points. */
export const reprojectViewsFused =
  (rig: Rig, tri: Triangulation, below: number) =>
  (pts: tf.Tensor, conf?: tf.Tensor): tf.Tensor => {
    const [B, , K] = pts.shape;
    const c = conf && Math.fround(below) > 0 ? [conf] : [];
    const k = reprojectKernel(rig, tri, below, B, K);
    const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
      const [value] = withHeap([x, ...c], [x.shape], k.scratchBytes, (heap) => k.forward(heap, heap.ins[0], c.length ? heap.ins[1] : 0, heap.outs[0]));
      // the inputs are saved for the gradient: the caller's scope disposes them before backward
      saveWithoutCopy(save, recordingGradients() ? [x, ...c] : []);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          withHeap([...saved, dy], [x.shape], k.scratchBytes, (heap) =>
            k.backward(heap, heap.ins[0], c.length ? heap.ins[1] : 0, heap.ins[saved.length], heap.outs[0]),
          )[0],
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return (f as unknown as (x: tf.Tensor) => tf.Tensor)(pts);
  };

/**
 * The triangulate_pairs transform on the kernel for B frames × K keypoints: `forward` writes every
 * camera pair's point (B, P, K, 3) of the points at `pts` to `out` (NaN where a view is missing);
 * `backward` writes dL/dpoints (B, V, K, 2) to `grad` from the upstream gradient at `dy`.
 */
export const pairsKernel = (rig: Rig, B: number, K: number) => {
  const base = { B, tconf: 0, below: 0, pairwise: true, pairs: true };
  return {
    scratchBytes: scratchLayout(rig.V, K, 0, false).bytes,
    forward: (heap: Heap, pts: number, out: number) => void runKernel(heap, rig, K, { ...base, pts, out }),
    backward: (heap: Heap, pts: number, dy: number, grad: number) => void runKernel(heap, rig, K, { ...base, pts, dy, grad }),
  };
};

/** The fused triangulate_pairs: points (B, V, K, 2) → (B, P, K, 3), differentiable in the points. */
export const triangulatePairsFused =
  (rig: Rig) =>
  (pts: tf.Tensor): tf.Tensor => {
    const [B, V, K] = pts.shape;
    const P = (V * (V - 1)) / 2;
    const k = pairsKernel(rig, B, K);
    const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
      const [value] = withHeap([x], [[B, P, K, 3]], k.scratchBytes, (heap) => k.forward(heap, heap.ins[0], heap.outs[0]));
      // the input is saved for the gradient: the caller's scope disposes it before backward
      saveWithoutCopy(save, recordingGradients() ? [x] : []);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          withHeap([...saved, dy], [x.shape], k.scratchBytes, (heap) => k.backward(heap, heap.ins[0], heap.ins[1], heap.outs[0]))[0],
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return (f as unknown as (x: tf.Tensor) => tf.Tensor)(pts);
  };

/** The kernel runs where poseloss's wasm kernels do (cpu and wasm backends; elsewhere tfjs ops run). */
export const multiviewKernelAvailable = memoryKernelsAvailable;

/** What the multi-view loss kernel computes, from the plan's declarations (src/kernels/index.ts). */
export interface MultiviewLossSpec {
  readonly rig: Rig;
  readonly triangulation: Triangulation;
  /** The transform's threshold (views below it are left out of the triangulation; 0: none). */
  readonly below: number;
  /** Drop masks on per-view confidences (B, V, K): a term is dropped where its confidence < below. */
  readonly confMasks: readonly { readonly below: number }[];
  /** Drop masks for missing points: on the predictions, on the reprojections (else a NaN term makes the loss NaN). */
  readonly dropNaNPred: boolean;
  readonly dropNaNReprojected: boolean;
  /** relu(d − ε) per keypoint (float32-rounded), when the plan has a rectify. */
  readonly epsilon: Float64Array | null;
  readonly sum: boolean;
}

/**
 * A multi-view consistency loss in one pass: reproject the per-view points (the transform
 * above), d = ‖prediction − reprojection‖ per (frame, view, keypoint), confidence and NaN drop
 * masks, relu(d − ε), mean over the kept terms (0 when none) or sum. The gradient w.r.t. the
 * predictions (computed in the same pass while a tape records) has both paths: directly through
 * d, and through the reprojection. Inputs: `heap.ins[tconf]` the transform's confidences (−1:
 * none), `heap.ins[masks[i]]` mask i's (−1: none), `heap.ins[pts]` the points.
 */
export const multiviewLossKernel = (
  m: MultiviewLossSpec,
  B: number,
  K: number,
  at: { readonly tconf: number; readonly masks: readonly number[]; readonly pts: number },
): SimdKernel => ({
  scratchBytes: scratchLayout(m.rig.V, K, m.confMasks.length, m.epsilon !== null).bytes,
  forward: (heap, grads) => {
    const ptr = (i: number) => (i < 0 ? 0 : heap.ins[i]);
    const fields = {
      B,
      pts: heap.ins[at.pts],
      tconf: ptr(at.tconf),
      below: Math.fround(m.below),
      pairwise: m.triangulation === 'pairwise_median',
      grad: grads?.[0] ?? 0,
      loss: true,
      nanPred: m.dropNaNPred,
      nanReprojected: m.dropNaNReprojected,
      sum: m.sum,
    };
    const masks = m.confMasks.map((c, i) => [ptr(at.masks[i]), Math.fround(c.below)] as const);
    return runKernel(heap, m.rig, K, fields, masks, m.epsilon);
  },
});

/** The loss above on tensors (a non-finite loss gives NaN gradients, as the tfjs-ops path does). */
export const multiviewLoss = (
  m: MultiviewLossSpec,
  pts: tf.Tensor,
  transformConf: tf.Tensor | undefined,
  maskConfs: readonly (tf.Tensor | undefined)[],
): tf.Scalar => {
  const [B, , K] = pts.shape;
  const tc = transformConf && Math.fround(m.below) > 0 ? [transformConf] : [];
  // constants: [transform confidences?, present mask confidences...], then the points
  const present = maskConfs.flatMap((t) => (t ? [t] : []));
  const consts = [...tc, ...present];
  const at = { tconf: tc.length ? 0 : -1, masks: maskConfs.map((t) => (t ? tc.length + present.indexOf(t) : -1)), pts: consts.length };
  return simdLoss(consts, [pts], multiviewLossKernel(m, B, K, at));
};
