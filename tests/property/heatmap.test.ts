/**
 * Invariants of the heatmap losses beyond what the registry suites check (their value against
 * their steps' references, fused = tfjs ops, weights and logs: tests/property/lossRegistry.test.ts):
 * sign, zero at the target, batch and keypoint symmetry, and the empty-map masking (D1, D2),
 * on calls the steps' generators draw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maps } from '../../src/steps/reference.js';
import {
  type Arr,
  arr,
  checkFiniteDifferences,
  dimsArb,
  emptyMaps,
  evaluate,
  expectAllClose,
  expectAllFinite,
  expectAllZero,
  expectClose,
  expectZeroResult,
  gradients,
  heatmapsArb,
  make,
  mapInputs,
  num,
  orNaN,
  permutation,
  permuteBatch,
  permuteKeypoints,
  runs,
  sizeOf,
} from './arbitraries.js';
import { lossCaseArb, permuteCaseKeypoints } from './registryCases.js';

const NAMES = ['heatmap_mse', 'heatmap_kl', 'heatmap_js'] as const;
type Name = (typeof NAMES)[number];

/** KL/JS of offset, not exactly normalised maps can dip below 0 by float32 rounding (≈ H·W·1e-10). */
const FLOOR: Record<Name, number> = { heatmap_mse: 0, heatmap_kl: -1e-6, heatmap_js: -1e-6 };

/** Gradients of KL reach ~1e10 where a prediction pixel is 0: compare them relatively. */
const GRAD_ATOL: Record<Name, number> = { heatmap_mse: 1e-6, heatmap_kl: 0, heatmap_js: 1e-6 };

/** Predictions NaN at the chosen (b, k) maps. */
const withNaNPredictionsAt = (pred: Arr, which: readonly boolean[]): Arr => {
  const hw = pred.shape[2] * pred.shape[3];
  return arr(
    pred.shape,
    Array.from(pred.data, (v, i) => (which[Math.floor(i / hw)] ? NaN : v)),
  );
};

describe.each(NAMES)('%s properties', (name) => {
  const loss = make(name);
  const cases = lossCaseArb(name);

  it('is finite and ≥ 0', () => {
    fc.assert(
      fc.property(cases, (lc) => {
        const r = evaluate(loss, lc.inputs);
        expect(Number.isFinite(r.loss), `loss ${r.loss}`).toBe(true);
        expect(r.loss).toBeGreaterThanOrEqual(FLOOR[name]);
      }),
      runs(30),
    );
  });

  it('is zero when the prediction equals the target', () => {
    fc.assert(
      fc.property(cases, (lc) => {
        const r = evaluate(loss, { heatmaps_targ: lc.inputs.heatmaps_targ, heatmaps_pred: lc.inputs.heatmaps_targ });
        if (name === 'heatmap_mse') expect(r.loss).toBe(0);
        else expect(Math.abs(r.loss)).toBeLessThanOrEqual(1e-5);
      }),
      runs(30),
    );
  });

  it('is invariant to permuting the batch (gradients permute along)', () => {
    fc.assert(
      fc.property(
        cases.chain((lc) => fc.tuple(fc.constant(lc), permutation(lc.B))),
        ([lc, perm]) => {
          const permuted = mapInputs(lc.inputs, (_, a) => permuteBatch(a, perm));
          expectClose(evaluate(loss, permuted).loss, evaluate(loss, lc.inputs).loss, 'permuted loss', 1e-5, 1e-7);
          const g = gradients(loss, lc.inputs).heatmaps_pred;
          const gp = gradients(loss, permuted).heatmaps_pred;
          expectAllClose(gp, permuteBatch(arr(lc.inputs.heatmaps_pred.shape, g), perm).data, 'permuted gradient', 1e-4, GRAD_ATOL[name]);
        },
      ),
      runs(25),
    );
  });

  it('is invariant to permuting keypoints consistently (gradients permute along)', () => {
    fc.assert(
      fc.property(
        cases.chain((lc) => fc.tuple(fc.constant(lc), permutation(lc.K))),
        ([lc, perm]) => {
          const p = permuteCaseKeypoints(lc, perm);
          expectClose(evaluate(loss, p.inputs).loss, evaluate(loss, lc.inputs).loss, 'permuted loss', 1e-5, 1e-7);
          const g = gradients(loss, lc.inputs).heatmaps_pred;
          const gp = gradients(loss, p.inputs).heatmaps_pred;
          expectAllClose(gp, permuteKeypoints('heatmaps_pred', arr(lc.inputs.heatmaps_pred.shape, g), perm).data, 'permuted gradient', 1e-4, GRAD_ATOL[name]);
        },
      ),
      runs(25),
    );
  });

  it('with empty target maps equals the loss over the non-empty maps alone (gathered), gradient included', () => {
    fc.assert(
      fc.property(cases, (lc) => {
        const { heatmaps_targ: t, heatmaps_pred: p } = lc.inputs;
        const [, , H, W] = t.shape;
        const keep = emptyMaps(t).flatMap((e, m) => (e ? [] : [m]));
        fc.pre(keep.length > 0);
        const gather = (a: Arr) =>
          arr(
            [1, keep.length, H, W],
            keep.flatMap((m) => Array.from(maps(a)[m])),
          );
        const sub = { heatmaps_targ: gather(t), heatmaps_pred: gather(p) };
        expectClose(evaluate(loss, lc.inputs).loss, evaluate(loss, sub).loss, 'loss over the valid maps', 1e-5, 1e-7);
        const g = maps(arr(p.shape, gradients(loss, lc.inputs).heatmaps_pred));
        const gs = maps(arr(sub.heatmaps_pred.shape, gradients(loss, sub).heatmaps_pred));
        expectAllClose(
          keep.flatMap((m) => Array.from(g[m])),
          gs.flatMap((x) => Array.from(x)),
          'gradient at valid maps',
          1e-4,
          GRAD_ATOL[name],
        );
        emptyMaps(t).forEach((e, m) => e && expectAllZero(g[m], `gradient of empty map ${m}`));
      }),
      runs(30),
    );
  });

  it('D1: all target maps empty → exactly 0 with all-zero gradients (even for NaN predictions)', () => {
    fc.assert(
      fc.property(
        cases.chain((lc) => fc.tuple(fc.constant(lc), fc.array(fc.boolean(), { minLength: lc.B * lc.K, maxLength: lc.B * lc.K }))),
        ([lc, nan]) => {
          const t = lc.inputs.heatmaps_targ;
          const inputs = { heatmaps_targ: arr(t.shape, new Float32Array(t.data.length)), heatmaps_pred: withNaNPredictionsAt(lc.inputs.heatmaps_pred, nan) };
          expectZeroResult(evaluate(make(name, { log_weight: 1.5 }), inputs));
          expectAllZero(gradients(loss, inputs).heatmaps_pred, 'gradient');
        },
      ),
      runs(30),
    );
  });

  it('D2: gradients are finite; NaN predictions at empty target maps change nothing and get zero gradient', () => {
    fc.assert(
      fc.property(cases, (lc) => {
        const empty = emptyMaps(lc.inputs.heatmaps_targ);
        const g0 = gradients(loss, lc.inputs).heatmaps_pred;
        expectAllFinite(g0, 'gradient');
        const withNaN = { ...lc.inputs, heatmaps_pred: withNaNPredictionsAt(lc.inputs.heatmaps_pred, empty) };
        const r = evaluate(loss, withNaN);
        expect(r.loss).toBe(evaluate(loss, lc.inputs).loss);
        const g = gradients(loss, withNaN).heatmaps_pred;
        expectAllFinite(g, 'gradient with NaN predictions at empty maps');
        const hw = lc.inputs.heatmaps_pred.shape[2] * lc.inputs.heatmaps_pred.shape[3];
        g.forEach((v, i) => empty[Math.floor(i / hw)] && expect(v).toBe(0));
      }),
      runs(30),
    );
  });

  it('gradient agrees with central finite differences', () => {
    // KL/JS: predictions bounded away from 0 (unnormalised, as the loss accepts) keep the curvature low
    const pred =
      name === 'heatmap_mse'
        ? (d: Parameters<typeof heatmapsArb>[0]) => heatmapsArb(d)
        : (d: Parameters<typeof heatmapsArb>[0]) => heatmapsArb(d, { positive: [0.2, 1] });
    let checked = 0;
    fc.assert(
      fc.property(
        dimsArb({ maxB: 4, maxK: 3, maxH: 6, maxW: 6 }).chain((d) =>
          fc.record({ targ: heatmapsArb(d, { empty: 0.3 }), pred: pred(d), coords: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }) }),
        ),
        ({ targ, pred, coords }) => {
          checked += checkFiniteDifferences(loss, { heatmaps_targ: targ, heatmaps_pred: pred }, 'heatmaps_pred', coords, { h: 1e-2 });
        },
      ),
      runs(25),
    );
    expect(checked).toBeGreaterThan(15);
  });

  it('loss is the same number whatever finite values sit in the predictions of empty maps', () => {
    fc.assert(
      fc.property(
        cases.chain((lc) =>
          fc.tuple(
            fc.constant(lc),
            fc.array(orNaN(num(-1e3, 1e3)), { minLength: sizeOf(lc.inputs.heatmaps_pred.shape), maxLength: sizeOf(lc.inputs.heatmaps_pred.shape) }),
          ),
        ),
        ([lc, junk]) => {
          const empty = emptyMaps(lc.inputs.heatmaps_targ);
          const hw = lc.inputs.heatmaps_pred.shape[2] * lc.inputs.heatmaps_pred.shape[3];
          const pred = arr(
            lc.inputs.heatmaps_pred.shape,
            Array.from(lc.inputs.heatmaps_pred.data, (v, i) => (empty[Math.floor(i / hw)] ? junk[i] : v)),
          );
          expect(evaluate(loss, { ...lc.inputs, heatmaps_pred: pred }).loss).toBe(evaluate(loss, lc.inputs).loss);
        },
      ),
      runs(20),
    );
  });
});
