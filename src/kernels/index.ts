import type * as tf from '@tensorflow/tfjs';
import type { Fused, FusedRunner, Plan } from '../pipeline/interpret.js';
import { INPUT_TABLE, isInputKey } from '../pipeline/keys.js';
import type { BuiltMask, Fusion } from '../pipeline/step.js';
import { exprOf } from '../steps/compute/expr.js';
import { exprRegion, runExpr } from './expr.js';
import { simdLoss } from './fused.js';
import { heatmapKernel } from './heatmap.js';
import { type Elementwise, type KernelMask, keypointKernel } from './keypoints.js';
import { memoryKernelsAvailable } from './memory.js';
import { type MultiviewLossSpec, multiviewKernelAvailable, multiviewLoss, type Rig } from './multiview.js';
import { pcaKernel } from './pca.js';
import { registerKernel } from './registry.js';
import { reprojectionKernel } from './reprojection.js';
import { HEATMAP_KIND } from './simd/index.js';
import { type PairMask, temporalHeatmapKernel, temporalKernel } from './temporal.js';

export { type KernelDef, kernelNames, matchKernel, registerKernel } from './registry.js';

/**
 * Epsilon of the plan's (at most one) rectify step per keypoint, 0 without one — rounded to
 * float32, as the reference's epsilon tensor is: the kernels compare the float32 value with it,
 * so a loss exactly at ε is cut off (or not) as in the reference.
 */
const epsilonPerKeypoint = (plan: Plan, k: number): Float64Array => {
  const e = plan.rectify[0]?.epsilon ?? 0;
  return (typeof e === 'number' ? new Float64Array(k).fill(e) : Float64Array.from(e)).map(Math.fround);
};

/** The reduction as the kernels do it: false = mean, true = sum, null = neither (no kernel). */
const sumOf = (plan: Plan): boolean | null => (plan.reduce.fusion?.op === 'sum' ? true : plan.reduce.fusion?.op === 'mean' ? false : null);

/** Numeric parameters a kernel needs, by name, from a step's declaration; null when one is missing (no guessing). */
const paramsOf = <N extends string>(f: Fusion | undefined, names: readonly N[]): Record<N, number> | null => {
  if (!f || !names.every((n) => typeof f.params[n] === 'number')) return null;
  return Object.fromEntries(names.map((n) => [n, f.params[n]])) as Record<N, number>;
};

/** The compute's input with a role, or undefined when it declares no such input. */
const inputOf = (plan: Plan, role: 'target' | 'prediction'): string | undefined => {
  const i = plan.compute.roles.indexOf(role);
  return i < 0 ? undefined : plan.compute.of[i];
};

const maskOp = (m: BuiltMask): string | undefined => m.fusion?.op;

/** Confidence masks (`below`) over frame pairs, all on one key; null when the plan has any other mask. */
const pairMasks = (plan: Plan): { key: string | null; masks: PairMask[] } | null => {
  const masks: PairMask[] = [];
  for (const m of plan.masks) {
    const p = maskOp(m) === 'below' ? paramsOf(m.fusion, ['below']) : null;
    if (!p) return null;
    masks.push({ below: p.below, mode: m.mode });
  }
  if (new Set(plan.masks.map((m) => m.of)).size > 1) return null;
  return { key: plan.masks[0]?.of ?? null, masks };
};

const fused = (kernel: string, run: FusedRunner, consumesLastTransform = false): Fused => ({
  kernel,
  run,
  consumesLastTransform,
  available: memoryKernelsAvailable,
});

type HeatmapOp = keyof typeof HEATMAP_KIND;
const isHeatmapOp = (op: string | undefined): op is HeatmapOp => op !== undefined && Object.hasOwn(HEATMAP_KIND, op);

/** Heatmap losses: a compute declared as a heatmap op, target not differentiable, empty-map drop masks on the target, no rectify. */
const heatmapInputs = (plan: Plan): { op: HeatmapOp; t: string; p: string; sum: boolean } | null => {
  const op = plan.compute.fusion?.op;
  const sum = sumOf(plan);
  const [t, p] = [inputOf(plan, 'target'), inputOf(plan, 'prediction')];
  if (!isHeatmapOp(op) || sum === null || !t || !p || plan.differentiable.has(t) || plan.rectify.length > 0) return null;
  if (!plan.masks.every((m) => maskOp(m) === 'empty_map' && m.mode === 'drop' && m.of === t)) return null;
  return { op, t, p, sum };
};

registerKernel({
  name: 'reprojection',
  match: (plan) => {
    // heatmap_mse against maps a gaussian_heatmaps transform (the last) renders from keypoints: render and compare in one pass;
    // transforms before it that declare no fusion (e.g. triangulate_pairs, project_views) run ahead of the kernel
    const h = heatmapInputs(plan);
    const render = plan.transforms.at(-1);
    if (!h || h.op !== 'heatmap_mse' || !render || render.fusion?.op !== 'gaussian_heatmaps' || render.as !== h.p || render.as === h.t) return null;
    if (plan.transforms.slice(0, -1).some((t) => t.fusion)) return null;
    const r = paramsOf(render.fusion, ['image_height', 'image_width', 'heatmap_height', 'heatmap_width', 'sigma']);
    if (!r) return null;
    return fused(
      'reprojection',
      (env) => {
        const t = env.get(h.t)!;
        const [b, k] = t.shape;
        return simdLoss(
          [t],
          [env.get(render.of)!],
          reprojectionKernel(b * k, { height: r.heatmap_height, width: r.heatmap_width }, { height: r.image_height, width: r.image_width }, r.sigma, h.sum),
        );
      },
      true,
    );
  },
});

registerKernel({
  name: 'heatmap',
  match: (plan) => {
    const h = heatmapInputs(plan);
    if (!h) return null;
    const masked = plan.masks.length > 0;
    return fused('heatmap', (env) => {
      const [t, p] = [env.get(h.t)!, env.get(h.p)!];
      const [b, k, hh, w] = p.shape;
      return simdLoss([t], [p], heatmapKernel(h.op, b * k, hh * w, masked, h.sum));
    });
  },
});

/** Temporal computes: one (prediction) input over frame pairs, confidence masks, at most one rectify. */
const temporalInputs = (plan: Plan, op: string): { x: string; pm: { key: string | null; masks: PairMask[] }; sum: boolean } | null => {
  const sum = sumOf(plan);
  const x = inputOf(plan, 'prediction');
  const pm = pairMasks(plan);
  if (plan.compute.fusion?.op !== op || plan.compute.of.length !== 1 || !x || sum === null || !pm || plan.rectify.length > 1) return null;
  return { x, pm, sum };
};

registerKernel({
  name: 'temporal',
  match: (plan) => {
    const m = temporalInputs(plan, 'temporal_norm');
    if (!m || plan.kinds[m.x] !== 'flat') return null;
    return fused('temporal', (env) => {
      const x = env.get(m.x)!;
      const conf = m.pm.key ? env.get(m.pm.key) : undefined;
      const k = x.shape[1]! / 2;
      return simdLoss(conf ? [conf] : [], [x], temporalKernel(x.shape[0], k, epsilonPerKeypoint(plan, k), m.pm.masks, !!conf, m.sum));
    });
  },
});

/** The temporal heatmap ops the kernel implements, and its `kl` flag for each. */
const TEMPORAL_HEATMAP_OPS = { temporal_heatmap_mse: false, temporal_heatmap_kl: true } as const;

registerKernel({
  name: 'temporalHeatmap',
  match: (plan) => {
    const op = plan.compute.fusion?.op;
    if (op === undefined || !Object.hasOwn(TEMPORAL_HEATMAP_OPS, op)) return null;
    const m = temporalInputs(plan, op);
    if (!m || plan.kinds[m.x] !== 'heatmaps') return null;
    const kl = TEMPORAL_HEATMAP_OPS[op as keyof typeof TEMPORAL_HEATMAP_OPS];
    // the kernel clamps at ε (0 without a rectify step): the identity only for values ≥ 0 whose
    // gradient vanishes at 0 — squared differences, not KL (0 for equal maps, with a gradient)
    if (kl && plan.rectify.length === 0) return null;
    return fused('temporalHeatmap', (env) => {
      const x = env.get(m.x)!;
      const conf = m.pm.key ? env.get(m.pm.key) : undefined;
      const k = x.shape[1]!;
      return simdLoss(
        conf ? [conf] : [],
        [x],
        temporalHeatmapKernel(kl, x.shape[0], k, x.shape[2]! * x.shape[3]!, epsilonPerKeypoint(plan, k), m.pm.masks, !!conf, m.sum),
      );
    });
  },
});

/**
 * The keypoint ops the kernel implements: elementwise distances with the numeric parameter
 * each reads (by name), and per-keypoint norms with their scale and whether the target is
 * broadcast over camera pairs.
 */
const ELEMENTWISE_OPS: Readonly<Record<string, { code: Elementwise; param: string | null }>> = {
  squared_error: { code: 'squared_error', param: null },
  absolute_error: { code: 'absolute_error', param: null },
  huber: { code: 'huber', param: 'delta' },
  smooth_l1: { code: 'smooth_l1', param: 'beta' },
};
const NORM_OPS: Readonly<Record<string, { rms: boolean; pairs: boolean }>> = {
  euclidean: { rms: false, pairs: false },
  rms_error: { rms: true, pairs: false },
  euclidean_3d: { rms: false, pairs: true },
};
const own = <V>(table: Readonly<Record<string, V>>, op: string | undefined): V | undefined =>
  op !== undefined && Object.hasOwn(table, op) ? table[op] : undefined;

registerKernel({
  name: 'keypoints',
  match: (plan) => {
    const c = plan.compute;
    const op = c.fusion?.op;
    const ew = own(ELEMENTWISE_OPS, op);
    const norm = own(NORM_OPS, op);
    const sum = sumOf(plan);
    const [tKey, pKey] = [inputOf(plan, 'target'), inputOf(plan, 'prediction')];
    if ((!ew && !norm) || sum === null || !tKey || !pKey || c.of.length !== 2) return null;
    // transforms run ahead of the kernel (as tfjs ops or their own fused pass) unless one declares a fusion another kernel takes
    if (![plan.kinds[tKey], plan.kinds[pKey]].every((k) => k === 'flat' || k === 'points') || plan.rectify.length > 1 || plan.transforms.some((t) => t.fusion))
      return null;
    const param = ew?.param ? paramsOf(c.fusion, [ew.param])?.[ew.param] : 0;
    if (param === undefined) return null;
    const confKeys = new Set<string>();
    const masks: KernelMask[] = [];
    for (const m of plan.masks) {
      if (maskOp(m) === 'nan') {
        const input = m.of === tKey ? 0 : m.of === pKey ? 1 : -1;
        if (input < 0) return null;
        masks.push({ input: input as 0 | 1, kind: 'nan', element: m.level === 'element', below: 0, drop: m.mode === 'drop' });
      } else if (maskOp(m) === 'below' && !m.optional) {
        const p = paramsOf(m.fusion, ['below']);
        if (!p) return null;
        confKeys.add(m.of);
        masks.push({ input: 2, kind: 'below', element: false, below: p.below, drop: m.mode === 'drop' });
      } else return null;
    }
    if (confKeys.size > 1) return null;
    const confKey = [...confKeys][0];
    const keys = [tKey, pKey] as const;
    const gradFor = ([0, 1] as const).filter((i) => plan.differentiable.has(keys[i]));
    return fused('keypoints', (env) => {
      const t = env.get(tKey)!;
      const p = env.get(pKey)!;
      const ps = p.shape as number[];
      const geometry =
        plan.kinds[pKey] === 'flat'
          ? { frames: ps[0], pairs: 1, keypoints: ps[1] / 2, coords: 2, targetBroadcast: false }
          : norm?.pairs
            ? { frames: ps[0], pairs: ps[1], keypoints: ps[2], coords: ps[3], targetBroadcast: true }
            : { frames: ps[0], pairs: 1, keypoints: ps[ps.length - 2], coords: ps[ps.length - 1], targetBroadcast: false };
      const kind = ew ? { elementwise: ew.code, param } : { norm: norm!.rms ? 1 / Math.sqrt(geometry.coords) : 1 };
      const { forward, scratchBytes } = keypointKernel(
        geometry,
        kind,
        masks,
        epsilonPerKeypoint(plan, geometry.keypoints),
        gradFor,
        plan.rectify.length > 0,
        sum,
      );
      const tensors: tf.Tensor[] = [t, p];
      // simdLoss hands inputs as [constants..., predictions...]: the kernel wants [t, p, conf]
      const constIdx = ([0, 1] as const).filter((i) => !gradFor.includes(i));
      const consts = [...constIdx.map((i) => tensors[i]), ...(confKey ? [env.get(confKey)!] : [])];
      return simdLoss(
        consts,
        gradFor.map((i) => tensors[i]),
        {
          scratchBytes,
          forward: (heap, grads) => {
            const at = (i: 0 | 1) => heap.ins[constIdx.includes(i) ? constIdx.indexOf(i) : consts.length + gradFor.indexOf(i)];
            return forward([at(0), at(1), ...(confKey ? [heap.ins[constIdx.length]] : [])])(heap, grads);
          },
        },
      );
    });
  },
});

registerKernel({
  name: 'pcaReprojection',
  match: (plan) => {
    const c = plan.compute;
    const pca = c.fitted?.pca;
    const sum = sumOf(plan);
    const x = inputOf(plan, 'prediction');
    if (c.fusion?.op !== 'pca_reprojection' || !pca || !x || sum === null || plan.masks.length > 0 || plan.rectify.length > 1) return null;
    const e = plan.rectify[0]?.epsilon ?? 0;
    if (typeof e !== 'number') return null;
    const kernels = new Map<number, ReturnType<typeof pcaKernel>>(); // by keypoint count
    return fused('pcaReprojection', (env) => {
      const xt = env.get(x)!;
      const k = xt.shape[1]! / 2;
      if (!kernels.has(k)) kernels.set(k, pcaKernel(pca, k, e, sum));
      const { forward, scratchBytes } = kernels.get(k)!;
      return simdLoss([], [xt], { forward: forward(xt.shape[0]), scratchBytes });
    });
  },
});

registerKernel({
  name: 'expr',
  match: (plan) => {
    // an `expr` compute: its elementwise part (and the sum / mean over innermost axes after it) as a register program
    const e = plan.compute.fusion?.op === 'expr' ? exprOf(plan.compute) : undefined;
    const sum = sumOf(plan);
    if (!e || sum === null || plan.masks.length > 0 || plan.rectify.length > 0 || plan.transforms.length > 0) return null;
    const role = new Map(e.bindings.map(([n, key]) => [n, plan.compute.roles[plan.compute.of.indexOf(key)]]));
    if (!e.bindings.every(([n, key]) => (role.get(n) === 'prediction') === plan.differentiable.has(key))) return null;
    const region = exprRegion(e.compiled, (n) => role.get(n) === 'prediction', !sum);
    if (!region) return null;
    const targets = new Set(e.bindings.filter(([n]) => role.get(n) !== 'prediction').map(([n]) => n));
    return fused('expr', (env) => runExpr(e.compiled, region, e.bindings, env, targets, plan.reduce.reduce));
  },
});

registerKernel({
  name: 'multiview',
  match: (plan) => {
    // reproject_views, then euclidean between the points and their reprojections, NaN / confidence drop masks, at most one rectify
    const [t] = plan.transforms;
    const r = plan.transforms.length === 1 && t.fusion?.op === 'reproject_views' ? paramsOf(t.fusion, ['below', 'pairwise_median']) : null;
    const rig = t?.fusion?.data as Rig | undefined;
    const sum = sumOf(plan);
    const c = plan.compute;
    if (!r || !rig || !(rig.cam instanceof Float64Array) || sum === null || plan.rectify.length > 1 || !plan.differentiable.has(t.of)) return null;
    if (c.fusion?.op !== 'euclidean' || c.of.length !== 2 || !c.of.includes(t.of) || !c.of.includes(t.as) || t.of === t.as) return null;
    const confKeys: string[] = [];
    let [dropNaNPred, dropNaNReprojected] = [false, false];
    for (const m of plan.masks) {
      if (m.mode !== 'drop' || m.level !== 'keypoint') return null;
      if (maskOp(m) === 'nan' && (m.of === t.of || m.of === t.as)) {
        if (m.of === t.of) dropNaNPred = true;
        else dropNaNReprojected = true;
      } else if (maskOp(m) === 'below' && isInputKey(m.of) && INPUT_TABLE[m.of].axes.join() === 'B,V,K' && paramsOf(m.fusion, ['below'])) confKeys.push(m.of);
      else return null;
    }
    const confMasks = plan.masks.filter((m) => maskOp(m) === 'below').map((m) => ({ below: paramsOf(m.fusion, ['below'])!.below }));
    return {
      kernel: 'multiview',
      consumesLastTransform: true,
      available: multiviewKernelAvailable,
      run: (env) => {
        const pts = env.get(t.of)!;
        const spec: MultiviewLossSpec = {
          rig,
          triangulation: r.pairwise_median ? 'pairwise_median' : 'dlt',
          below: r.below,
          confMasks,
          dropNaNPred,
          dropNaNReprojected,
          epsilon: plan.rectify.length ? epsilonPerKeypoint(plan, pts.shape[2]!) : null,
          sum,
        };
        return multiviewLoss(
          spec,
          pts,
          t.with?.[0] ? env.get(t.with[0]) : undefined,
          confKeys.map((k) => env.get(k)),
        );
      },
    };
  },
});
