/**
 * Plain-JS (float64) formulas of the losses, written from ../shared/spec/reference-behaviour.md
 * and the deviations D1–D6, independently of src/; flat-keypoint pipelines of any registered
 * compute step, with the step's values from the reference it declares.
 * Each returns the loss and the per-element values with their branch points (`kinks`),
 * which the finite-difference properties use to stay away from non-smooth points.
 */
import type fc from 'fast-check';
import { either } from 'fp-ts';
import { INPUT_KINDS } from '../../src/pipeline/keys.js';
import type { AnyStepDef, ComputeReference } from '../../src/pipeline/step.js';
import { allSteps, decodeStep } from '../../src/steps/registry.js';
import type { Arr, Inputs, Kinks } from './arbitraries.js';
import { FC, real } from './fastCheck.js';

export const KL_OFFSET = 1e-10;
const f32 = Math.fround;

const mean = (s: number, n: number): number => (n === 0 ? 0 : s / n);

/** Epsilon of keypoint k (scalar or per keypoint). */
export const epsAt = (eps: number | readonly number[] | undefined, k: number): number => (eps === undefined ? 0 : typeof eps === 'number' ? eps : eps[k]);

export const relu = (x: number): number => (x > 0 ? x : 0);

// ---------------------------------------------------------------------------------------
// Supervised keypoints

/** §5: mean of (t − p)² over coordinates whose target is not NaN; D1: none → 0. */
export const regressionRef = (t: Arr, p: Arr): number => {
  let s = 0;
  let n = 0;
  t.data.forEach((tv, i) => {
    if (Number.isNaN(tv)) return;
    s += (tv - p.data[i]) ** 2;
    n++;
  });
  return mean(s, n);
};

/** D4: keypoints with both target coordinates finite; sqrt(mean(dx², dy²)) each, mean over them. */
export const rmseRef = (t: Arr, p: Arr): { loss: number; kinks: [number, number][] } => {
  let s = 0;
  let n = 0;
  const kinks: [number, number][] = [];
  for (let i = 0; i < t.data.length; i += 2) {
    if (Number.isNaN(t.data[i]) || Number.isNaN(t.data[i + 1])) continue;
    const v = Math.sqrt(((t.data[i] - p.data[i]) ** 2 + (t.data[i + 1] - p.data[i + 1]) ** 2) / 2);
    kinks.push([v, 0]);
    s += v;
    n++;
  }
  return { loss: mean(s, n), kinks };
};

// ---------------------------------------------------------------------------------------
// Heatmaps

const klMap = (t: Float32Array, p: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < t.length; i++) {
    const T = t[i] + KL_OFFSET;
    const P = p[i] + KL_OFFSET;
    s += T * (Math.log(T) - Math.log(P));
  }
  return s;
};

const jsMap = (t: Float32Array, p: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < t.length; i++) {
    const T = t[i] + KL_OFFSET;
    const P = p[i] + KL_OFFSET;
    const M = (T + P) / 2;
    s += 0.5 * (T * (Math.log(T) - Math.log(M)) + P * (Math.log(P) - Math.log(M)));
  }
  return s;
};

/** The maps of a (B, K, H, W) array, in (b, k) row-major order. */
export const maps = (a: Arr): Float32Array[] => {
  const hw = a.shape[2] * a.shape[3];
  return Array.from({ length: a.shape[0] * a.shape[1] }, (_, m) => a.data.subarray(m * hw, (m + 1) * hw));
};

/** §1 with D1: maps whose target is all-zero drop out; mean over the others (0 if none). */
export const heatmapRef = (kind: 'heatmap_mse' | 'heatmap_kl' | 'heatmap_js', t: Arr, p: Arr): number => {
  const ts = maps(t);
  const ps = maps(p);
  let s = 0;
  let n = 0;
  ts.forEach((tm, m) => {
    if (tm.every((v) => v === 0)) return;
    n++;
    if (kind === 'heatmap_mse') for (let i = 0; i < tm.length; i++) s += (tm[i] - ps[m][i]) ** 2;
    else s += kind === 'heatmap_kl' ? klMap(tm, ps[m]) : jsMap(tm, ps[m]);
  });
  return mean(s, n);
};

// ---------------------------------------------------------------------------------------
// Temporal

/** Pair (t, t+1) of keypoint k is masked (counted as 0) when either confidence is < threshold (float32). */
const pairMasked = (conf: Arr | undefined, thr: number, t: number, k: number): boolean => {
  if (!conf) return false;
  const K = conf.shape[1];
  const th = f32(thr);
  return conf.data[t * K + k] < th || conf.data[(t + 1) * K + k] < th;
};

export interface TemporalRef {
  readonly loss: number;
  /** Pair values before epsilon, (B−1)·K, row-major; masked pairs NaN. */
  readonly values: number[];
  readonly kinks: [number, number][];
}

const temporalFrom = (
  B: number,
  K: number,
  value: (t: number, k: number) => number,
  conf: Arr | undefined,
  thr: number,
  eps: number | readonly number[],
  normKink: boolean,
): TemporalRef => {
  let s = 0;
  const values: number[] = [];
  const kinks: [number, number][] = [];
  for (let t = 0; t < B - 1; t++)
    for (let k = 0; k < K; k++) {
      if (pairMasked(conf, thr, t, k)) {
        values.push(NaN);
        continue;
      }
      const v = value(t, k);
      values.push(v);
      if (normKink) kinks.push([v, 0]);
      kinks.push([v, epsAt(eps, k)]);
      s += relu(v - epsAt(eps, k));
    }
  return { loss: mean(s, (B - 1) * K), values, kinks };
};

/** §3 with D1 (B = 1 → 0): ‖x[t+1,k] − x[t,k]‖, zero-masked pairs stay in the mean. */
export const temporalRef = (pred: Arr, conf: Arr | undefined, thr: number, eps: number | readonly number[]): TemporalRef => {
  const [B, C] = pred.shape;
  const K = C / 2;
  const x = pred.data;
  return temporalFrom(
    B,
    K,
    (t, k) => Math.hypot(x[(t + 1) * C + 2 * k] - x[t * C + 2 * k], x[(t + 1) * C + 2 * k + 1] - x[t * C + 2 * k + 1]),
    conf,
    thr,
    eps,
    true,
  );
};

/** §4: per-pixel mean of (p[t] − p[t+1])² (mse) or KL(p[t+1] ‖ p[t]) (kl) per map. */
export const temporalHeatmapRef = (
  kind: 'temporal_heatmap_mse' | 'temporal_heatmap_kl',
  pred: Arr,
  conf: Arr | undefined,
  thr: number,
  eps: number | readonly number[],
): TemporalRef => {
  const [B, K] = pred.shape;
  const ms = maps(pred);
  return temporalFrom(
    B,
    K,
    (t, k) => {
      const now = ms[t * K + k];
      const next = ms[(t + 1) * K + k];
      if (kind === 'temporal_heatmap_kl') return klMap(next, now);
      let s = 0;
      for (let i = 0; i < now.length; i++) s += (now[i] - next[i]) ** 2;
      return s / now.length;
    },
    conf,
    thr,
    eps,
    false,
  );
};

// ---------------------------------------------------------------------------------------
// Multiview

/**
 * §7 with D1: ‖t[b,k] − p[b,q,k]‖ over entries where neither side has a NaN; mean (0 if none).
 * With `eps` (the euclidean_3d step followed by rectify), relu(‖·‖ − ε_k) instead.
 */
export const pairwiseRef = (t: Arr, p: Arr, eps?: number | readonly number[]): { loss: number; kinks: [number, number][] } => {
  const [B, P, K] = p.shape;
  let s = 0;
  let n = 0;
  const kinks: [number, number][] = [];
  for (let b = 0; b < B; b++)
    for (let q = 0; q < P; q++)
      for (let k = 0; k < K; k++) {
        const ti = (b * K + k) * 3;
        const pi = ((b * P + q) * K + k) * 3;
        const tv = [0, 1, 2].map((c) => t.data[ti + c]);
        const pv = [0, 1, 2].map((c) => p.data[pi + c]);
        if ([...tv, ...pv].some(Number.isNaN)) continue;
        const d = Math.hypot(tv[0] - pv[0], tv[1] - pv[1], tv[2] - pv[2]);
        kinks.push([d, 0]);
        if (eps !== undefined) kinks.push([d, epsAt(eps, k)]);
        s += eps === undefined ? d : relu(d - epsAt(eps, k));
        n++;
      }
  return { loss: mean(s, n), kinks };
};

export interface Geometry {
  readonly original_image_height: number;
  readonly original_image_width: number;
  readonly downsampled_image_height: number;
  readonly downsampled_image_width: number;
}

/**
 * §12 generate_heatmaps (σ = 1.25), as poseloss documents it: scale to the grid, NaN or
 * off-grid (beyond −1 / size + 1) → all-zero map, else a Gaussian at integer pixel centres
 * normalised to sum 1. Returns the maps (B, K, Ho, Wo) and the scaled coordinates' kinks.
 */
export const renderRef = (kp: Arr, g: Geometry, sigma = 1.25): { maps: Arr; kinks: [number, number][] } => {
  const [B, K] = kp.shape;
  const [Ho, Wo] = [g.downsampled_image_height, g.downsampled_image_width];
  const out = new Float32Array(B * K * Ho * Wo);
  const kinks: [number, number][] = [];
  for (let m = 0; m < B * K; m++) {
    // scaled in float32, as a tensor op would: the off-grid test is exact at its bounds
    const x = f32(kp.data[2 * m] * f32(Wo / g.original_image_width));
    const y = f32(kp.data[2 * m + 1] * f32(Ho / g.original_image_height));
    if (Number.isNaN(x) || Number.isNaN(y) || x < -1 || x > Wo + 1 || y < -1 || y > Ho + 1) continue;
    kinks.push([x, -1], [x, Wo + 1], [y, -1], [y, Ho + 1]);
    let s = 0;
    const g2 = new Float64Array(Ho * Wo);
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++) {
        const v = Math.exp(-((j - x) ** 2 + (i - y) ** 2) / (2 * sigma * sigma));
        g2[i * Wo + j] = v;
        s += v;
      }
    for (let i = 0; i < Ho * Wo; i++) out[m * Ho * Wo + i] = g2[i] / s;
  }
  return { maps: { shape: [B, K, Ho, Wo], data: out }, kinks };
};

/** §8 with D3 (×Ho·Wo) and D1: heatmap MSE of the targets against rendered predictions. */
export const reprojectionRef = (targ: Arr, kp: Arr, g: Geometry): { loss: number; kinks: [number, number][] } => {
  const r = renderRef(kp, g);
  return { loss: heatmapRef('heatmap_mse', targ, r.maps), kinks: r.kinks };
};

// ---------------------------------------------------------------------------------------
// Compute steps on flat keypoints: [mask nan_targets?] → compute → [rectify ε] → reduce

const FLAT_OF = ['keypoints_targ', 'keypoints_pred'];

/** The compute step registered under `name`, with the reference it declares. */
const computeDef = (name: string): AnyStepDef & { reference: ComputeReference<unknown> } => {
  const def = allSteps().find((d) => d.phase === 'compute' && d.name === name);
  if (!def?.reference || def.reference.phase !== 'compute') throw new Error(`compute step ${name} has no reference`);
  return def as AnyStepDef & { reference: ComputeReference<unknown> };
};

/**
 * The registered compute steps that read a flat (target, prediction) keypoint pair, from the
 * registry: those whose spec with `of: [keypoints_targ, keypoints_pred]` builds (no labels).
 */
export const flatComputes = (): string[] =>
  allSteps()
    .filter((d) => d.phase === 'compute' && d.reference)
    .filter((d) => {
      const spec = decodeStep({ compute: d.name, of: FLAT_OF }, 'probe');
      return either.isRight(spec) && either.isRight(d.build(spec.right.params, { kinds: INPUT_KINDS, path: 'probe', loss: 'probe' }, {}));
    })
    .map((d) => d.name);

/** Random parameters of a flat compute, from its own generator's cases on the flat pair. */
export const flatParamsArb = (compute: string): fc.Arbitrary<Record<string, unknown>> =>
  real(computeDef(compute).reference.cases(FC))
    .filter((c) => JSON.stringify(c.spec.of) === JSON.stringify(FLAT_OF))
    .map(({ spec: { compute: _c, of: _o, ...params } }) => params);

export interface StepConfig {
  readonly compute: string;
  /** The compute's own parameters (huber's delta, smooth_l1's beta, ...). */
  readonly params: Record<string, unknown>;
  readonly mask: 'none' | 'drop' | 'zero';
  /** undefined: no rectify step. */
  readonly epsilon: number | number[] | undefined;
  readonly reduce: 'mean' | 'sum';
}

/** The step specs of a config (what a user would write in YAML). */
export const stepSpecs = (c: StepConfig): Record<string, unknown>[] => [
  ...(c.mask === 'none' ? [] : [{ mask: 'nan_targets', of: 'keypoints_targ', mode: c.mask }]),
  { compute: c.compute, of: FLAT_OF, ...c.params },
  ...(c.epsilon === undefined ? [] : [{ rectify: 'epsilon', epsilon: c.epsilon }]),
  { reduce: c.reduce },
];

/** The compute's float64 output on flat keypoints (B, 2K): per element (B, 2K) or per keypoint (B, K), from its declared reference. */
const computeRef = (c: StepConfig, t: Arr, p: Arr) => {
  const decoded = decodeStep(stepSpecs(c).find((s) => 'compute' in s)!, 'ref');
  if (either.isLeft(decoded)) throw new Error(`${c.compute}: its spec does not decode`);
  return computeDef(c.compute).reference.values(decoded.right.params, [t, p]);
};

/** Whether a flat compute gives one value per keypoint (a distance) rather than per coordinate. */
export const perKeypoint = (compute: string): boolean =>
  computeRef(
    { compute, params: {}, mask: 'none', epsilon: undefined, reduce: 'sum' },
    { shape: [1, 2], data: new Float32Array(2) },
    { shape: [1, 2], data: new Float32Array(2) },
  ).out.shape[1] === 1;

/**
 * The pipeline of `stepSpecs(c)` on keypoints_targ / keypoints_pred (B, 2K), the compute's values
 * from its declared reference (`values`: the valid ones before rectify): an element
 * (elementwise steps) or a keypoint (distance steps; invalid if any target coordinate is
 * NaN) is invalid where the mask says so; drop leaves the mean's count, zero stays in it.
 */
export const stepRef = (c: StepConfig, inputs: Inputs): { loss: number; kinks: [number, number][]; values: number[] } => {
  const t = inputs.keypoints_targ;
  const p = inputs.keypoints_pred;
  const [B, C] = t.shape;
  const K = C / 2;
  const r = computeRef(c, t, p);
  const keypointLevel = r.out.shape[1] === K;
  let s = 0;
  let count = 0;
  // branch points of the formula where it is defined (a NaN target's element is never read)
  const kinks: [number, number][] = r.kinks.filter(([q]) => Number.isFinite(q)).map(([q, th]) => [q, th]);
  const values: number[] = [];
  const add = (v: number, k: number, valid: boolean) => {
    if (c.mask !== 'drop' || valid) count++;
    if (c.mask !== 'none' && !valid) return;
    values.push(v);
    if (c.epsilon !== undefined) {
      kinks.push([v, epsAt(c.epsilon, k)]);
      v = relu(v - epsAt(c.epsilon, k));
    }
    s += v;
  };
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++) {
      const i = b * C + 2 * k;
      if (keypointLevel) add(r.out.data[b * K + k], k, !Number.isNaN(t.data[i]) && !Number.isNaN(t.data[i + 1]));
      else for (const j of [i, i + 1]) add(r.out.data[j], k, !Number.isNaN(t.data[j]));
    }
  return { loss: c.reduce === 'sum' ? s : mean(s, count), kinks, values };
};

export const stepKinks =
  (c: StepConfig): Kinks =>
  (inputs) =>
    stepRef(c, inputs).kinks;
