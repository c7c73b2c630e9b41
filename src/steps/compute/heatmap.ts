import type * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import type * as t from 'io-ts';
import { jsPerMap, KL_OFFSET, klPerMap, LOG_DOMAIN } from '../../ops/kl.js';
import { elementwiseLayout, keypointLayout, type Layout } from '../../pipeline/layout.js';
import type { BuiltCompute, ComputeReference, Kinks, StepDef } from '../../pipeline/step.js';
import { Of, resolveKeys, sameShapes, stepCodec } from '../common.js';
import { jsMap, klMap, maps, pairCases, plain } from '../reference.js';

/** Plain-JS output of a heatmap compute from the (b, k) maps of target and prediction. */
type PlainHeatmap = (targ: ArrayLike<number>[], pred: ArrayLike<number>[], shape: readonly number[]) => { out: number[] | Float64Array; kinks: Kinks };

const reference = (name: string, perPixel: boolean, f: PlainHeatmap): ComputeReference<unknown> => ({
  phase: 'compute',
  cases: (fc, opts) => pairCases(fc, name, ['heatmaps'], fc.constant({}), opts),
  values: (_p, [targ, pred]) => {
    const r = f(maps(targ), maps(pred), targ.shape);
    return { out: plain(perPixel ? targ.shape : targ.shape.slice(0, 2), r.out), kinks: r.kinks };
  },
});

/** Per map, from a formula on the two maps; the prediction's pixels near 0 are the log's kinks. */
const perMap = (name: string, f: (t: ArrayLike<number>, p: ArrayLike<number>) => number) =>
  reference(name, false, (ts, ps) => ({ out: ts.map((t, m) => f(t, ps[m])), kinks: ps.flatMap((p) => Array.from(p, (v): [number, number] => [v, 0])) }));

const heatmapStep = (
  name: string,
  doc: string,
  layout: Layout,
  formula: (t: tf.Tensor, p: tf.Tensor) => tf.Tensor,
  ref: ComputeReference<unknown>,
  domain?: string,
) => {
  const codec = stepCodec('compute', name, { of: Of }, { of: ['heatmaps_targ', 'heatmaps_pred'] });
  const def: StepDef<t.TypeOf<typeof codec>> = {
    phase: 'compute',
    name,
    doc,
    codec,
    build: (p: t.TypeOf<typeof codec>, ctx) =>
      either.map(
        (of: string[]): BuiltCompute => ({
          phase: 'compute',
          name,
          of,
          roles: ['target', 'prediction'],
          fusion: { op: name, params: {} },
          layout,
          check: sameShapes(name, of),
          apply: ([targ, pred]) => formula(targ, pred),
          domain,
        }),
      )(resolveKeys(p.of as string | string[], ctx, name, 2, ['heatmaps'])),
    reference: ref,
  };
  return def;
};

/** (t − p)²·H·W per pixel: with a mean over valid pixels, Σ_pixels per map averaged over maps. */
export const heatmapMse = heatmapStep(
  'heatmap_mse',
  '(t − p)²·H·W per pixel',
  elementwiseLayout('heatmaps'),
  (targ, pred) => {
    const [h, w] = targ.shape.slice(-2);
    return targ
      .sub(pred)
      .square()
      .mul(h * w);
  },
  reference('heatmap_mse', true, (ts, ps, shape) => {
    const hw = shape[2] * shape[3];
    return { out: ts.flatMap((t, m) => Array.from(t, (v, i) => (v - ps[m][i]) ** 2 * hw)), kinks: [] };
  }),
);

/** KL(T ‖ P) per map, T = t + 1e-10, P = p + 1e-10 (no renormalisation, as the reference). */
export const heatmapKl = heatmapStep(
  'heatmap_kl',
  'KL(target ‖ prediction) per map',
  keypointLayout('heatmaps'),
  (targ, pred) => klPerMap(targ.add(KL_OFFSET), pred.add(KL_OFFSET)),
  perMap('heatmap_kl', klMap),
  LOG_DOMAIN,
);

/** Jensen–Shannon divergence per map, same offsets. */
export const heatmapJs = heatmapStep(
  'heatmap_js',
  'Jensen–Shannon divergence per map',
  keypointLayout('heatmaps'),
  (targ, pred) => jsPerMap(targ.add(KL_OFFSET), pred.add(KL_OFFSET)),
  perMap('heatmap_js', jsMap),
  LOG_DOMAIN,
);
