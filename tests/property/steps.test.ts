/**
 * Compute steps through small user-style pipelines (`buildPipeline`, the same vocabulary as
 * YAML): [mask nan_targets (drop | zero)] → compute → [rectify ε] → reduce (mean | sum),
 * against plain-JS formulas of the same pipeline.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arr,
  arrArb,
  checkFiniteDifferences,
  confidencesArb,
  dimsArb,
  emptyMaps,
  evaluate,
  expectAllClose,
  expectAllFinite,
  expectAllZero,
  expectClose,
  gradients,
  heatmapsArb,
  type Inputs,
  keypointsArb,
  mapInputs,
  num,
  orNaN,
  permutation,
  permuteBatch,
  permuteKeypoints,
  pipeline,
  runs,
} from './arbitraries.js';
import { pipelineReference } from './pipelineReference.js';
import { flatComputes, flatParamsArb, perKeypoint, type StepConfig, stepKinks, stepRef, stepSpecs } from './reference.js';

/** Every registered compute step that reads a flat keypoint pair (from the registry). */
const FLAT_STEPS: readonly string[] = flatComputes();

interface StepCase {
  readonly config: StepConfig;
  readonly inputs: Inputs;
  readonly B: number;
  readonly K: number;
}

const configArb = (
  compute: string,
  K: number,
  o: { mask?: StepConfig['mask'][]; epsilon?: 'any' | 'none'; reduce?: StepConfig['reduce'][] } = {},
): fc.Arbitrary<StepConfig> =>
  fc.record({
    compute: fc.constant(compute),
    params: flatParamsArb(compute),
    mask: fc.constantFrom(...(o.mask ?? (['none', 'drop', 'zero'] as const))),
    epsilon:
      o.epsilon === 'none' ? fc.constant(undefined) : fc.option(fc.oneof(num(0, 5), fc.array(num(0, 5), { minLength: K, maxLength: K })), { nil: undefined }),
    reduce: fc.constantFrom(...(o.reduce ?? (['mean', 'sum'] as const))),
  });

/** A pipeline config and inputs: NaN targets only where a mask handles them. */
const stepCaseArb = (compute: string, o: Parameters<typeof configArb>[2] & { range?: number; maxB?: number; maxK?: number } = {}): fc.Arbitrary<StepCase> =>
  dimsArb({ maxB: o.maxB, maxK: o.maxK }).chain(({ B, K }) =>
    configArb(compute, K, o).chain((config) =>
      fc
        .record({
          keypoints_targ: keypointsArb(B, K, { range: o.range ?? 10, nan: config.mask === 'none' ? 'none' : 'coord', nanRate: 0.25 }),
          keypoints_pred: keypointsArb(B, K, { range: o.range ?? 10 }),
        })
        .map((inputs) => ({ config, inputs, B, K })),
    ),
  );

const build = (c: StepConfig) => pipeline(stepSpecs(c), `custom_${c.compute}`);

describe.each(FLAT_STEPS)('compute step %s in a pipeline', (compute) => {
  it('is finite, ≥ 0 and equals the plain-JS pipeline (drop leaves the count, zero stays in it)', () => {
    fc.assert(
      fc.property(stepCaseArb(compute), ({ config, inputs }) => {
        const r = evaluate(build(config), inputs);
        expect(Number.isFinite(r.loss), `loss ${r.loss}`).toBe(true);
        expect(r.loss).toBeGreaterThanOrEqual(0);
        expectClose(r.loss, stepRef(config, inputs).loss, 'loss vs plain JS', 1e-5, 1e-5);
        expect(r.logs[0].name).toBe(`train_custom_${compute}_loss`);
      }),
      runs(40),
    );
  });

  it('is zero (with zero gradient) when the prediction equals the target and ε ≥ 0', () => {
    fc.assert(
      fc.property(stepCaseArb(compute), ({ config, inputs }) => {
        const t = inputs.keypoints_targ;
        const same = {
          keypoints_targ: t,
          keypoints_pred: arr(
            t.shape,
            Array.from(t.data, (v, i) => (Number.isNaN(v) ? inputs.keypoints_pred.data[i] : v)),
          ),
        };
        const l = build(config);
        expect(evaluate(l, same).loss).toBe(0);
        const g = gradients(l, same).keypoints_pred;
        // |d| has no derivative at 0; tfjs's Abs gradient picks −1 there (torch's sign(0) = 0),
        // a valid subgradient: only ask that it is one (|g| ≤ 1 per element, scaled by the mean)
        if (compute === 'absolute_error') g.forEach((v) => expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-6));
        else expectAllZero(g, 'gradient');
      }),
      runs(25),
    );
  });

  it('is invariant to permuting the batch and the keypoints (with a per-keypoint ε permuted along)', () => {
    fc.assert(
      fc.property(
        stepCaseArb(compute).chain((c) => fc.tuple(fc.constant(c), permutation(c.B), permutation(c.K))),
        ([{ config, inputs }, pb, pk]) => {
          const base = evaluate(build(config), inputs).loss;
          const byBatch = mapInputs(inputs, (_, a) => permuteBatch(a, pb));
          expectClose(evaluate(build(config), byBatch).loss, base, 'batch-permuted loss', 1e-5, 1e-6);
          const eps = Array.isArray(config.epsilon) ? pk.map((i) => (config.epsilon as number[])[i]) : config.epsilon;
          const byKp = mapInputs(inputs, (k, a) => permuteKeypoints(k, a, pk));
          const lp = build({ ...config, epsilon: eps });
          expectClose(evaluate(lp, byKp).loss, base, 'keypoint-permuted loss', 1e-5, 1e-6);
          const g = arr(inputs.keypoints_pred.shape, gradients(build(config), inputs).keypoints_pred);
          expectAllClose(gradients(lp, byKp).keypoints_pred, permuteKeypoints('keypoints_pred', g, pk).data, 'keypoint-permuted gradient', 1e-5, 1e-7);
        },
      ),
      runs(25),
    );
  });

  it('rectify: non-increasing in a scalar ε (exactly), and exactly 0 with zero gradient once ε ≥ every element', () => {
    fc.assert(
      fc.property(stepCaseArb(compute, { epsilon: 'none' }), num(-2, 20), num(-2, 20), ({ config, inputs }, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const at = (epsilon: number) => evaluate(build({ ...config, epsilon }), inputs).loss;
        expect(at(hi)).toBeLessThanOrEqual(at(lo));
        const top = Math.max(0, ...stepRef(config, inputs).values);
        const enough = top * (1 + 1e-3) + 1e-6 + Math.abs(a);
        expect(at(enough)).toBe(0);
        expectAllZero(gradients(build({ ...config, epsilon: enough }), inputs).keypoints_pred, 'gradient');
      }),
      runs(30),
    );
  });

  it('rectify: non-increasing when a per-keypoint ε is raised at one keypoint', () => {
    fc.assert(
      fc.property(
        stepCaseArb(compute, { epsilon: 'none' }).chain((c) =>
          fc.tuple(fc.constant(c), fc.array(num(0, 5), { minLength: c.K, maxLength: c.K }), fc.nat(c.K - 1), num(0, 10)),
        ),
        ([{ config, inputs }, eps, k, up]) => {
          const raised = eps.map((e, i) => (i === k ? e + up : e));
          expect(evaluate(build({ ...config, epsilon: raised }), inputs).loss).toBeLessThanOrEqual(evaluate(build({ ...config, epsilon: eps }), inputs).loss);
        },
      ),
      runs(25),
    );
  });

  it('D1: every target NaN → exactly 0 with all-zero gradients (NaN predictions included)', () => {
    fc.assert(
      fc.property(stepCaseArb(compute, { mask: ['drop', 'zero'] }), fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), ({ config, inputs }, nan) => {
        const t = inputs.keypoints_targ;
        const ins = {
          keypoints_targ: arr(t.shape, new Array(t.data.length).fill(NaN)),
          keypoints_pred: arr(
            t.shape,
            Array.from(inputs.keypoints_pred.data, (v, i) => (nan[i % 60] ? NaN : v)),
          ),
        };
        const r = evaluate(build(config), ins);
        expect(r.loss).toBe(0);
        expectAllZero(gradients(build(config), ins).keypoints_pred, 'gradient');
      }),
      runs(25),
    );
  });

  it('D2: gradients are finite with NaN targets, and NaN predictions where nothing valid reads them change nothing', () => {
    fc.assert(
      fc.property(stepCaseArb(compute, { mask: ['drop', 'zero'] }), ({ config, inputs }) => {
        const l = build(config);
        const t = inputs.keypoints_targ;
        // what a prediction coordinate feeds: its element (elementwise) or its keypoint (distances)
        const unread = (i: number) =>
          perKeypoint(compute) ? Number.isNaN(t.data[i - (i % 2)]) || Number.isNaN(t.data[i - (i % 2) + 1]) : Number.isNaN(t.data[i]);
        const withNaN = {
          ...inputs,
          keypoints_pred: arr(
            t.shape,
            Array.from(inputs.keypoints_pred.data, (v, i) => (unread(i) ? NaN : v)),
          ),
        };
        expect(evaluate(l, withNaN).loss).toBe(evaluate(l, inputs).loss);
        const g = gradients(l, withNaN).keypoints_pred;
        expectAllFinite(g, 'gradient');
        g.forEach((v, i) => unread(i) && expect(v, `gradient at unread ${i}`).toBe(0));
      }),
      runs(30),
    );
  });

  it('gradient agrees with central finite differences (away from kinks: |d| at 0 / δ / β, norms at 0, values at ε)', () => {
    let checked = 0;
    fc.assert(
      fc.property(stepCaseArb(compute, { range: 5, maxB: 4, maxK: 4 }), fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), ({ config, inputs }, coords) => {
        checked += checkFiniteDifferences(build(config), inputs, 'keypoints_pred', coords, { h: 1e-2, kinks: stepKinks(config) });
      }),
      runs(40),
    );
    expect(checked).toBeGreaterThan(18);
  });
});

describe('masks in pipelines', () => {
  it('low_confidence (drop) equals nan_targets (drop) on targets NaN-ed at the low-confidence keypoints', () => {
    fc.assert(
      fc.property(
        dimsArb().chain(({ B, K }) =>
          fc.record({
            compute: fc.constantFrom(...FLAT_STEPS),
            mode: fc.constantFrom('drop' as const, 'zero' as const),
            thr: num(0, 1).map(Math.fround),
            targ: keypointsArb(B, K),
            pred: keypointsArb(B, K),
            conf: confidencesArb(B, K),
          }),
        ),
        ({ compute, mode, thr, targ, pred, conf }) => {
          const of = ['keypoints_targ', 'keypoints_pred'];
          const byConf = pipeline([{ mask: 'low_confidence', of: 'confidences', below: thr, mode }, { compute, of }, { reduce: 'mean' }]);
          const byNaN = pipeline([{ mask: 'nan_targets', of: 'keypoints_targ', mode }, { compute, of }, { reduce: 'mean' }]);
          const low = (i: number) => conf.data[Math.floor(i / 2)] < Math.fround(thr);
          const nanTarg = arr(
            targ.shape,
            Array.from(targ.data, (v, i) => (low(i) ? NaN : v)),
          );
          const a = evaluate(byConf, { keypoints_targ: targ, keypoints_pred: pred, confidences: conf }).loss;
          const b = evaluate(byNaN, { keypoints_targ: nanTarg, keypoints_pred: pred }).loss;
          expectClose(a, b, 'low_confidence vs nan_targets', 1e-6, 1e-7);
        },
      ),
      runs(40),
    );
  });

  it('elementwise steps on heatmaps: empty_heatmaps (drop) + per-keypoint ε equal their steps’ references', () => {
    fc.assert(
      fc.property(
        dimsArb({ maxH: 5, maxW: 5 }).chain((d) =>
          fc.record({
            targ: heatmapsArb(d, { empty: 0.3 }),
            pred: heatmapsArb(d),
            eps: fc.array(num(0, 0.05), { minLength: d.K, maxLength: d.K }),
            compute: fc.constantFrom('squared_error', 'absolute_error'),
          }),
        ),
        ({ targ, pred, eps, compute }) => {
          const specs = [
            { mask: 'empty_heatmaps', of: 'heatmaps_targ' },
            { compute, of: ['heatmaps_targ', 'heatmaps_pred'] },
            { rectify: 'epsilon', epsilon: eps },
            { reduce: 'mean' },
          ];
          const [, , H, W] = targ.shape;
          const inputs = { heatmaps_targ: targ, heatmaps_pred: pred };
          expectClose(evaluate(pipeline(specs), inputs).loss, pipelineReference(specs, { inputs }).loss, 'loss vs its steps’ references', 1e-5, 1e-7);
          // and heatmap_mse's own step agrees with squared_error × H·W at ε = 0
          if (compute === 'squared_error') {
            const mse = pipeline([
              { mask: 'empty_heatmaps', of: 'heatmaps_targ' },
              { compute: 'heatmap_mse', of: ['heatmaps_targ', 'heatmaps_pred'] },
              { reduce: 'mean' },
            ]);
            const sq = pipeline([
              { mask: 'empty_heatmaps', of: 'heatmaps_targ' },
              { compute: 'squared_error', of: ['heatmaps_targ', 'heatmaps_pred'] },
              { reduce: 'mean' },
            ]);
            expectClose(evaluate(mse, inputs).loss, H * W * evaluate(sq, inputs).loss, 'heatmap_mse step vs squared_error × H·W', 1e-5, 1e-7);
          }
        },
      ),
      runs(30),
    );
  });
});

describe('temporal and heatmap computes with other mask modes', () => {
  it('temporal_norm with low_confidence_pairs in drop mode: mean over the unmasked pairs only', () => {
    fc.assert(
      fc.property(
        dimsArb({ minB: 2 }).chain(({ B, K }) =>
          fc.record({
            pred: keypointsArb(B, K),
            conf: confidencesArb(B, K),
            thr: num(0, 1).map(Math.fround),
            eps: fc.oneof(num(0, 5), fc.array(num(0, 5), { minLength: K, maxLength: K })),
          }),
        ),
        ({ pred, conf, thr, eps }) => {
          const specs = [
            { compute: 'temporal_norm', of: 'keypoints_pred' },
            { mask: 'low_confidence_pairs', of: 'confidences', below: thr, mode: 'drop' },
            { rectify: 'epsilon', epsilon: eps },
            { reduce: 'mean' },
          ];
          const inputs = { keypoints_pred: pred, confidences: conf };
          expectClose(evaluate(pipeline(specs), inputs).loss, pipelineReference(specs, { inputs }).loss, 'loss vs its steps’ references', 1e-5, 1e-6);
        },
      ),
      runs(30),
    );
  });

  it('temporal_norm with nan_targets on its own predictions: pairs touching a NaN frame drop; finite gradients, zero at NaNs (D2)', () => {
    fc.assert(
      fc.property(
        dimsArb({ minB: 2 }).chain(({ B, K }) => fc.record({ pred: keypointsArb(B, K, { nan: 'pair', nanRate: 0.3 }) })),
        ({ pred }) => {
          const specs = [{ mask: 'nan_targets', of: 'keypoints_pred' }, { compute: 'temporal_norm', of: 'keypoints_pred' }, { reduce: 'mean' }];
          const l = pipeline(specs);
          expectClose(
            evaluate(l, { keypoints_pred: pred }).loss,
            pipelineReference(specs, { inputs: { keypoints_pred: pred } }).loss,
            'loss vs its steps’ references',
            1e-5,
            1e-6,
          );
          const g = gradients(l, { keypoints_pred: pred }).keypoints_pred;
          expectAllFinite(g, 'gradient');
          pred.data.forEach((v, i) => Number.isNaN(v) && expect(g[i]).toBe(0));
        },
      ),
      runs(30),
    );
  });

  // a drop mask over an empty output (B = 1 for a temporal compute) leaves a count of 0/0: the empty reduction is still 0
  it('temporal pipelines the kernels do not cover, with a batch of one frame → exactly 0 (D1)', () => {
    fc.assert(
      fc.property(
        keypointsArb(1, 3),
        fc.constantFrom('drop' as const, 'zero' as const),
        fc.constantFrom('mean' as const, 'sum' as const),
        (pred, mode, reduce) => {
          const l = pipeline([{ mask: 'nan_targets', of: 'keypoints_pred', mode }, { compute: 'temporal_norm', of: 'keypoints_pred' }, { reduce }]);
          expect(evaluate(l, { keypoints_pred: pred }).loss).toBe(0);
        },
      ),
      runs(10),
    );
  });

  it.each(['heatmap_mse', 'heatmap_kl', 'heatmap_js'])(
    '%s with empty_heatmaps in zero mode: loss × B·K equals the drop-mode loss × labeled maps',
    (compute) => {
      fc.assert(
        fc.property(
          dimsArb({ maxH: 5, maxW: 5 }).chain((d) => fc.record({ targ: heatmapsArb(d, { empty: 0.4 }), pred: heatmapsArb(d, { zeros: false }) })),
          ({ targ, pred }) => {
            const at = (mode: 'drop' | 'zero') =>
              evaluate(
                pipeline([{ mask: 'empty_heatmaps', of: 'heatmaps_targ', mode }, { compute, of: ['heatmaps_targ', 'heatmaps_pred'] }, { reduce: 'mean' }]),
                {
                  heatmaps_targ: targ,
                  heatmaps_pred: pred,
                },
              ).loss;
            const [B, K] = targ.shape;
            const n = emptyMaps(targ).filter((e) => !e).length;
            expectClose(at('zero') * B * K, at('drop') * n, 'zero vs drop', 1e-5, 1e-6);
          },
        ),
        runs(20),
      );
    },
  );
});

describe('compute step euclidean_3d in a pipeline', () => {
  const arb = fc.record({ B: fc.integer({ min: 1, max: 5 }), P: fc.integer({ min: 1, max: 3 }), K: fc.integer({ min: 1, max: 5 }) }).chain(({ B, P, K }) =>
    fc.record({
      inputs: fc.record({
        keypoints_targ_3d: arrArb([B, K, 3], orNaN(num(-5, 5), 1, 8)),
        keypoints_pred_3d: arrArb([B, P, K, 3], orNaN(num(-5, 5), 1, 12)),
      }),
      eps: fc.oneof(num(0, 4), fc.array(num(0, 4), { minLength: K, maxLength: K })),
      coords: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      K: fc.constant(K),
    }),
  );
  const specs3d = (eps: number | number[]) => [
    { mask: 'nan_keypoints', of: 'keypoints_targ_3d' },
    { mask: 'nan_keypoints', of: 'keypoints_pred_3d' },
    { compute: 'euclidean_3d', of: ['keypoints_targ_3d', 'keypoints_pred_3d'] },
    { rectify: 'epsilon', epsilon: eps },
    { reduce: 'mean' },
  ];
  const build3d = (eps: number | number[]) => pipeline(specs3d(eps));

  it('with a scalar or per-keypoint ε equals plain JS; finite gradients, zero at NaN entries', () => {
    fc.assert(
      fc.property(arb, ({ inputs, eps }) => {
        const l = build3d(eps);
        expectClose(evaluate(l, inputs).loss, pipelineReference(specs3d(eps), { inputs }).loss, 'loss vs its steps’ references', 1e-5, 1e-6);
        const g = gradients(l, inputs).keypoints_pred_3d;
        expectAllFinite(g, 'gradient');
        inputs.keypoints_pred_3d.data.forEach((v, i) => Number.isNaN(v) && expect(g[i]).toBe(0));
      }),
      runs(40),
    );
  });

  it('is invariant to permuting keypoints with ε permuted along; monotone in ε', () => {
    fc.assert(
      fc.property(
        arb.chain((c) => fc.tuple(fc.constant(c), permutation(c.K), num(0, 3))),
        ([{ inputs, eps }, perm, up]) => {
          const base = evaluate(build3d(eps), inputs).loss;
          const pe = Array.isArray(eps) ? perm.map((i) => eps[i]) : eps;
          expectClose(
            evaluate(
              build3d(pe),
              mapInputs(inputs, (k, a) => permuteKeypoints(k, a, perm)),
            ).loss,
            base,
            'permuted loss',
            1e-5,
            1e-7,
          );
          const raised = Array.isArray(eps) ? eps.map((e) => e + up) : eps + up;
          expect(evaluate(build3d(raised), inputs).loss).toBeLessThanOrEqual(base);
        },
      ),
      runs(30),
    );
  });

  it('gradient agrees with central finite differences (away from zero distance and ε)', () => {
    let checked = 0;
    fc.assert(
      fc.property(arb, ({ inputs, eps, coords }) => {
        const finite = coords.map((c) => c % inputs.keypoints_pred_3d.data.length).filter((i) => !Number.isNaN(inputs.keypoints_pred_3d.data[i]));
        checked += checkFiniteDifferences(build3d(eps), inputs, 'keypoints_pred_3d', finite, {
          h: 1e-2,
          kinks: (i) => pipelineReference(specs3d(eps), { inputs: i }).kinks,
        });
      }),
      runs(30),
    );
    expect(checked).toBeGreaterThan(15);
  });
});
