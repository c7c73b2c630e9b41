import type * as tf from '@tensorflow/tfjs';
import type { Plan } from '../pipeline/interpret.js';
import { fusedLoss } from './fused.js';
import { heatmapForward } from './heatmap.js';
import { pcaForward } from './pca.js';
import { temporalForward, temporalHeatmapForward, type PairMask } from './temporal.js';

/** Computes the reduced loss of a plan from its inputs (transforms already applied). */
export type FusedRunner = (env: ReadonlyMap<string, tf.Tensor>) => tf.Scalar;

const HEATMAP = ['heatmap_mse', 'heatmap_kl', 'heatmap_js'] as const;
const TEMPORAL_HEATMAP = ['temporal_heatmap_mse', 'temporal_heatmap_kl'] as const;

/** Epsilon of the plan's (at most one) rectify step per keypoint; 0 without one. */
const epsilonPerKeypoint = (plan: Plan, k: number): Float64Array => {
  const e = plan.rectify[0]?.epsilon ?? 0;
  return typeof e === 'number' ? new Float64Array(k).fill(e) : Float64Array.from(e);
};

/** Confidence masks over frame pairs, all on one key; null when the plan has any other mask. */
const pairMasks = (plan: Plan): { key: string | null; masks: PairMask[] } | null => {
  const conf = plan.masks.filter((m) => m.below !== undefined);
  if (conf.length !== plan.masks.length || new Set(conf.map((m) => m.of)).size > 1) return null;
  return { key: conf[0]?.of ?? null, masks: conf.map((m) => ({ below: m.below!, mode: m.mode })) };
};

/**
 * The fused kernel implementing a plan exactly, or null: the hot reference losses (heatmap,
 * temporal, temporal-heatmap families) and any user pipeline of the same shape. Anything
 * else runs on the tfjs-ops path, which stays the reference for every kernel.
 */
export const fuse = (plan: Plan): FusedRunner | null => {
  const c = plan.compute;
  if (plan.reduce.name !== 'mean') return null;
  if ((HEATMAP as readonly string[]).includes(c.name)) {
    if (plan.rectify.length > 0 || !plan.masks.every((m) => m.name === 'empty_heatmaps' && m.mode === 'drop' && m.of === c.of[0])) return null;
    const masked = plan.masks.length > 0;
    return (env) => {
      const [t, p] = c.of.map((k) => env.get(k)!);
      const [b, k, h, w] = p.shape;
      return fusedLoss([t], [p], heatmapForward(c.name as (typeof HEATMAP)[number], b * k, h * w, masked), true);
    };
  }
  const isTemporal = c.name === 'temporal_norm';
  if (isTemporal || (TEMPORAL_HEATMAP as readonly string[]).includes(c.name)) {
    const pm = pairMasks(plan);
    if (!pm || plan.rectify.length > 1) return null;
    return (env) => {
      const x = env.get(c.of[0])!;
      const conf = pm.key ? env.get(pm.key) : undefined;
      const frames = x.shape[0];
      const k = isTemporal ? x.shape[1]! / 2 : x.shape[1]!;
      const eps = epsilonPerKeypoint(plan, k);
      const consts = conf ? [conf] : [];
      return isTemporal
        ? fusedLoss(consts, [x], temporalForward(frames, k, eps, pm.masks, !!conf))
        : fusedLoss(consts, [x], temporalHeatmapForward(c.name as (typeof TEMPORAL_HEATMAP)[number], frames, k, x.shape[2]! * x.shape[3]!, eps, pm.masks, !!conf));
    };
  }
  const pca = c.fitted?.pca;
  if (c.name === 'pca_reprojection' && pca && plan.masks.length === 0 && plan.rectify.length <= 1) {
    const e = plan.rectify[0]?.epsilon ?? 0;
    if (typeof e !== 'number') return null;
    return (env) => {
      const x = env.get(c.of[0])!;
      return fusedLoss([], [x], pcaForward(pca, x.shape[0], x.shape[1]! / 2, e));
    };
  }
  return null;
};
