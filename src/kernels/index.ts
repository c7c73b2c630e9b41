import type * as tf from '@tensorflow/tfjs';
import type { Plan } from '../pipeline/interpret.js';
import { simdLoss } from './fused.js';
import { heatmapKernel, type HeatmapKind } from './heatmap.js';
import { pcaKernel } from './pca.js';
import { reprojectionKernel } from './reprojection.js';
import { keypointKernel, type Elementwise, type KernelMask } from './keypoints.js';
import { INPUT_KEYS, PREDICTION_KEYS } from '../pipeline/inputs.js';
import { temporalHeatmapKernel, temporalKernel, type PairMask } from './temporal.js';

/** Computes the reduced loss of a plan from its inputs (transforms already applied). */
export type FusedRunner = (env: ReadonlyMap<string, tf.Tensor>) => tf.Scalar;

/** A plan's fused kernel: its name (the wasm export, and src/kernels/simd/assembly/<file>) and runner. */
export interface Fused {
  readonly kernel: 'heatmap' | 'reprojection' | 'temporal' | 'temporalHeatmap' | 'keypoints' | 'pcaReprojection';
  readonly run: FusedRunner;
  /** The kernel does the plan's transforms itself: its runner gets the untransformed inputs. */
  readonly consumesTransforms: boolean;
}

const HEATMAP = ['heatmap_mse', 'heatmap_kl', 'heatmap_js'] as const;
const TEMPORAL_HEATMAP = ['temporal_heatmap_mse', 'temporal_heatmap_kl'] as const;

/**
 * Epsilon of the plan's (at most one) rectify step per keypoint, 0 without one — rounded to
 * float32, as the reference's epsilon tensor is: the kernels compare the float32 value with it,
 * so a loss exactly at ε is cut off (or not) as in the reference.
 */
const epsilonPerKeypoint = (plan: Plan, k: number): Float64Array => {
  const e = plan.rectify[0]?.epsilon ?? 0;
  return (typeof e === 'number' ? new Float64Array(k).fill(e) : Float64Array.from(e)).map(Math.fround);
};

/** Confidence masks over frame pairs, all on one key; null when the plan has any other mask. */
const pairMasks = (plan: Plan): { key: string | null; masks: PairMask[] } | null => {
  const conf = plan.masks.filter((m) => m.below !== undefined);
  if (conf.length !== plan.masks.length || new Set(conf.map((m) => m.of)).size > 1) return null;
  return { key: conf[0]?.of ?? null, masks: conf.map((m) => ({ below: m.below!, mode: m.mode })) };
};

const fused = (kernel: Fused['kernel'], run: FusedRunner, consumesTransforms = false): Fused => ({ kernel, run, consumesTransforms });

/**
 * The fused kernel implementing a plan exactly, or null. Kernels exist for the heatmap losses
 * (and heatmap_mse on maps a gaussian_heatmaps step renders from keypoints), temporal and
 * temporal-heatmap losses, keypoint distances (elementwise or per keypoint, with NaN and
 * confidence masks) and the PCA reprojection — built in or composed by a user, whenever the
 * pipeline has that shape. Anything else runs on the tfjs-ops path, which stays the reference
 * for every kernel.
 */
export const fuse = (plan: Plan): Fused | null => {
  const c = plan.compute;
  if (plan.reduce.name !== 'mean' && plan.reduce.name !== 'sum') return null;
  const sum = plan.reduce.name === 'sum';
  if ((HEATMAP as readonly string[]).includes(c.name)) {
    if (plan.rectify.length > 0 || !plan.masks.every((m) => m.name === 'empty_heatmaps' && m.mode === 'drop' && m.of === c.of[0])) return null;
    const render = plan.transforms[0];
    if (c.name === 'heatmap_mse' && plan.transforms.length === 1 && render.name === 'gaussian_heatmaps' && render.params && c.of[1] === render.as && c.of[0] !== render.as) {
      // the maps are rendered from keypoints: render and compare in one pass
      const r = render.params;
      return fused(
        'reprojection',
        (env) => {
          const t = env.get(c.of[0])!;
          const [b, k] = t.shape;
          return simdLoss([t], [env.get(render.of)!], reprojectionKernel(b * k, { height: r.heatmap_height, width: r.heatmap_width }, { height: r.image_height, width: r.image_width }, r.sigma, sum));
        },
        true,
      );
    }
    const masked = plan.masks.length > 0;
    return fused('heatmap', (env) => {
      const [t, p] = c.of.map((k) => env.get(k)!);
      const [b, k, h, w] = p.shape;
      return simdLoss([t], [p], heatmapKernel(c.name as HeatmapKind, b * k, h * w, masked, sum));
    });
  }
  const isTemporal = c.name === 'temporal_norm';
  if (isTemporal || (TEMPORAL_HEATMAP as readonly string[]).includes(c.name)) {
    const pm = pairMasks(plan);
    if (!pm || plan.rectify.length > 1) return null;
    return fused(isTemporal ? 'temporal' : 'temporalHeatmap', (env) => {
      const x = env.get(c.of[0])!;
      const conf = pm.key ? env.get(pm.key) : undefined;
      const frames = x.shape[0];
      const k = isTemporal ? x.shape[1]! / 2 : x.shape[1]!;
      const eps = epsilonPerKeypoint(plan, k);
      const consts = conf ? [conf] : [];
      const kernel = isTemporal
        ? temporalKernel(frames, k, eps, pm.masks, !!conf, sum)
        : temporalHeatmapKernel(c.name as (typeof TEMPORAL_HEATMAP)[number], frames, k, x.shape[2]! * x.shape[3]!, eps, pm.masks, !!conf, sum);
      return simdLoss(consts, [x], kernel);
    });
  }
  const kp = keypointRunner(plan);
  if (kp) return fused('keypoints', kp);
  const pca = c.fitted?.pca;
  if (c.name === 'pca_reprojection' && pca && plan.masks.length === 0 && plan.rectify.length <= 1) {
    const e = plan.rectify[0]?.epsilon ?? 0;
    if (typeof e !== 'number') return null;
    const kernels = new Map<number, ReturnType<typeof pcaKernel>>(); // by keypoint count
    return fused('pcaReprojection', (env) => {
      const x = env.get(c.of[0])!;
      const k = x.shape[1]! / 2;
      if (!kernels.has(k)) kernels.set(k, pcaKernel(pca, k, e, sum));
      const { forward, scratchBytes } = kernels.get(k)!;
      return simdLoss([], [x], { forward: forward(x.shape[0]), scratchBytes });
    });
  }
  return null;
};

const ELEMENTWISE: readonly string[] = ['squared_error', 'absolute_error', 'huber', 'smooth_l1'];
const DISTANCE: readonly string[] = ['euclidean', 'rms_error', 'euclidean_3d'];

/** Differentiable: a prediction key, or a tensor a transform made (it may depend on predictions). */
const differentiable = (key: string) => PREDICTION_KEYS.includes(key as never) || !INPUT_KEYS.includes(key as never);

/** Keypoint losses: elementwise or per-keypoint distances on flat or point tensors, NaN/confidence masks. */
const keypointRunner = (plan: Plan): FusedRunner | null => {
  const c = plan.compute;
  const elementwise = ELEMENTWISE.includes(c.name);
  if (!elementwise && !DISTANCE.includes(c.name)) return null;
  const [tKey, pKey] = c.of;
  const kinds = [plan.kinds[tKey], plan.kinds[pKey]];
  if (!kinds.every((k) => k === 'flat' || k === 'points') || plan.rectify.length > 1 || plan.transforms.length > 0) return null;
  const confKeys = new Set<string>();
  const masks: KernelMask[] = [];
  for (const m of plan.masks) {
    if (m.name === 'nan_targets' || m.name === 'nan_keypoints') {
      const input = m.of === tKey ? 0 : m.of === pKey ? 1 : -1;
      if (input < 0) return null;
      masks.push({ input: input as 0 | 1, kind: 'nan', element: m.name === 'nan_targets', below: 0, drop: m.mode === 'drop' });
    } else if (m.name === 'low_confidence' && m.below !== undefined && !m.optional) {
      confKeys.add(m.of);
      masks.push({ input: 2, kind: 'below', element: false, below: m.below, drop: m.mode === 'drop' });
    } else return null;
  }
  if (confKeys.size > 1) return null;
  const confKey = [...confKeys][0];
  const gradFor = ([0, 1] as const).filter((i) => differentiable(c.of[i]));
  return (env) => {
    const t = env.get(tKey)!;
    const p = env.get(pKey)!;
    const flat = plan.kinds[pKey] === 'flat';
    const ps = p.shape as number[];
    const geometry = flat
      ? { frames: ps[0], pairs: 1, keypoints: ps[1] / 2, coords: 2, targetBroadcast: false }
      : c.name === 'euclidean_3d'
        ? { frames: ps[0], pairs: ps[1], keypoints: ps[2], coords: ps[3], targetBroadcast: true }
        : { frames: ps[0], pairs: 1, keypoints: ps[ps.length - 2], coords: ps[ps.length - 1], targetBroadcast: false };
    const kind = elementwise
      ? { elementwise: c.name as Elementwise, param: c.params?.delta ?? c.params?.beta ?? 1 }
      : { norm: c.name === 'rms_error' ? 1 / Math.sqrt(geometry.coords) : 1 };
    const { forward, scratchBytes } = keypointKernel(geometry, kind, masks, epsilonPerKeypoint(plan, geometry.keypoints), gradFor, plan.rectify.length > 0, plan.reduce.name === 'sum');
    const tensors = [t, p];
    // simdLoss hands inputs as [constants..., predictions...]: the kernel wants [t, p, conf]
    const constIdx = ([0, 1] as const).filter((i) => !gradFor.includes(i));
    const consts = [...constIdx.map((i) => tensors[i]), ...(confKey ? [env.get(confKey)!] : [])];
    return simdLoss(consts, gradFor.map((i) => tensors[i]), {
      scratchBytes,
      forward: (heap, grads) => {
        const at = (i: 0 | 1) => heap.ins[constIdx.includes(i) ? constIdx.indexOf(i) : consts.length + gradFor.indexOf(i)];
        return forward([at(0), at(1), ...(confKey ? [heap.ins[constIdx.length]] : [])])(heap, grads);
      },
    });
  };
};
