import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
/**
 * Invariants of the supervised keypoint losses beyond what the registry suites check (their value
 * against their steps' references, fused = tfjs ops, weights and logs: tests/property/lossRegistry.test.ts):
 * sign, zero at the target, symmetry, which coordinates count (D1, D2, D4), the gradient's closed
 * form, on calls the steps' generators draw.
 */
import {
  type Arr,
  arr,
  checkFiniteDifferences,
  dimsArb,
  evaluate,
  expectAllClose,
  expectAllFinite,
  expectAllZero,
  expectClose,
  expectZeroResult,
  gradients,
  type Inputs,
  keypointsArb,
  make,
  mapInputs,
  num,
  orNaN,
  permutation,
  permuteBatch,
  permuteKeypoints,
  runs,
} from './arbitraries.js';
import { pipelineReference } from './pipelineReference.js';
import { type LossCase, lossCaseArb, lossPipeline, permuteCaseKeypoints, referenceLoss } from './registryCases.js';

const NAMES = ['regression', 'rmse'] as const;
type Name = (typeof NAMES)[number];

/** Does coordinate i count? regression: its own target is finite; rmse (D4): both of its keypoint's are. */
const counts = (name: Name, targ: Arr, i: number): boolean =>
  name === 'regression' ? !Number.isNaN(targ.data[i]) : !Number.isNaN(targ.data[i - (i % 2)]) && !Number.isNaN(targ.data[i - (i % 2) + 1]);

/** A call with predictions NaN at some coordinates that do not count. */
const maskedNaNCase = (name: Name) =>
  lossCaseArb(name).chain((lc) =>
    fc.array(fc.boolean(), { minLength: 2 * lc.B * lc.K, maxLength: 2 * lc.B * lc.K }).map((nanPred): LossCase => {
      const { keypoints_targ: targ, keypoints_pred: pred } = lc.inputs;
      return {
        ...lc,
        inputs: {
          keypoints_targ: targ,
          keypoints_pred: arr(
            pred.shape,
            Array.from(pred.data, (v, i) => (nanPred[i] && !counts(name, targ, i) ? NaN : v)),
          ),
        },
      };
    }),
  );

describe.each(NAMES)('%s properties', (name) => {
  const loss = make(name);
  // an epsilon (accepted, never applied) and a log weight over the loss's own parameters
  const cases = lossCaseArb(name, {
    params: ({ K }) => fc.record({ log_weight: num(-20, 20), epsilon: fc.oneof(num(0, 5), fc.array(num(0, 5), { minLength: K, maxLength: K })) }),
  });

  it('is finite and ≥ 0 (NaN targets masked); logs of no stage are named None_', () => {
    fc.assert(
      fc.property(cases, (lc) => {
        const r = evaluate(make(name, lc.params), lc.inputs, null);
        expect(Number.isFinite(r.loss), `loss ${r.loss}`).toBe(true);
        expect(r.loss).toBeGreaterThanOrEqual(0);
        expect(r.logs.map((x) => x.name)).toEqual([`None_${name}_loss`, `${name}_weight`]);
      }),
      runs(30),
    );
  });

  it('is zero when the prediction equals the target (any value where the target is NaN)', () => {
    fc.assert(
      fc.property(cases, (lc) => {
        const { keypoints_targ: t, keypoints_pred: p } = lc.inputs;
        const same = arr(
          t.shape,
          Array.from(t.data, (v, i) => (Number.isNaN(v) ? p.data[i] : v)),
        );
        const r = evaluate(loss, { keypoints_targ: t, keypoints_pred: same });
        expect(r.loss).toBe(0);
        expectAllZero(gradients(loss, { keypoints_targ: t, keypoints_pred: same }).keypoints_pred, 'gradient at the minimum');
      }),
      runs(30),
    );
  });

  it('ignores its epsilon parameter (accepted, never applied, as the reference)', () => {
    fc.assert(
      fc.property(cases, (lc) => {
        expect(evaluate(make(name, lc.params), lc.inputs).loss).toBe(evaluate(make(name, { log_weight: lc.params.log_weight }), lc.inputs).loss);
      }),
      runs(20),
    );
  });

  it('is invariant to permuting the batch and to permuting keypoints (gradients permute along)', () => {
    fc.assert(
      fc.property(
        cases.chain((lc) => fc.tuple(fc.constant(lc), permutation(lc.B), permutation(lc.K))),
        ([lc, pb, pk]) => {
          const base = evaluate(loss, lc.inputs).loss;
          const g = arr(lc.inputs.keypoints_pred.shape, gradients(loss, lc.inputs).keypoints_pred);
          const byBatch = mapInputs(lc.inputs, (_, a) => permuteBatch(a, pb));
          expectClose(evaluate(loss, byBatch).loss, base, 'batch-permuted loss', 1e-5, 1e-6);
          expectAllClose(gradients(loss, byBatch).keypoints_pred, permuteBatch(g, pb).data, 'batch-permuted gradient', 1e-5, 1e-7);
          const byKp = permuteCaseKeypoints(lc, pk).inputs;
          expectClose(evaluate(loss, byKp).loss, base, 'keypoint-permuted loss', 1e-5, 1e-6);
          expectAllClose(gradients(loss, byKp).keypoints_pred, permuteKeypoints('keypoints_pred', g, pk).data, 'keypoint-permuted gradient', 1e-5, 1e-7);
        },
      ),
      runs(30),
    );
  });

  it('D1: all targets NaN → exactly 0 with all-zero gradients (even for NaN predictions)', () => {
    fc.assert(
      fc.property(
        cases.chain((lc) => fc.tuple(fc.constant(lc), keypointsArb(lc.B, lc.K, { nan: 'coord' }))),
        ([lc, pred]) => {
          const inputs = { keypoints_targ: arr([lc.B, 2 * lc.K], new Array(2 * lc.B * lc.K).fill(NaN)), keypoints_pred: pred };
          const r = evaluate(make(name, { log_weight: -2 }), inputs);
          expectZeroResult(r);
          expectAllZero(gradients(loss, inputs).keypoints_pred, 'gradient');
        },
      ),
      runs(30),
    );
  });

  it('D2/D4: NaN predictions where the target does not count → finite loss and gradient, zero there', () => {
    fc.assert(
      fc.property(maskedNaNCase(name), (lc) => {
        const { inputs } = lc;
        const r = evaluate(loss, inputs);
        expect(Number.isFinite(r.loss), `loss ${r.loss}`).toBe(true);
        expectClose(r.loss, referenceLoss(lc), 'loss vs its steps’ references', 1e-5, 1e-6);
        const g = gradients(loss, inputs).keypoints_pred;
        expectAllFinite(g, 'gradient');
        g.forEach((v, i) => !counts(name, inputs.keypoints_targ, i) && expect(v, `gradient at uncounted ${i}`).toBe(0));
      }),
      runs(40),
    );
  });

  if (name === 'regression')
    it('gradient equals 2(p − t)/N at labeled coordinates', () => {
      fc.assert(
        fc.property(cases, (lc) => {
          const { keypoints_targ: t, keypoints_pred: p } = lc.inputs;
          const n = t.data.filter((v) => !Number.isNaN(v)).length;
          const want = Array.from(t.data, (tv, i) => (Number.isNaN(tv) ? 0 : (2 * (p.data[i] - tv)) / n));
          expectAllClose(gradients(loss, lc.inputs).keypoints_pred, want, 'gradient', 1e-4, 1e-7);
        }),
        runs(30),
      );
    });

  it('gradient agrees with central finite differences (away from ‖d‖ = 0)', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        dimsArb({ maxB: 4, maxK: 4 }).chain((d) =>
          fc.record({
            keypoints_targ: keypointsArb(d.B, d.K, { nan: 'coord', range: 5 }),
            keypoints_pred: keypointsArb(d.B, d.K, { range: 5 }),
            coords: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
          }),
        ),
        ({ coords, ...inputs }) => {
          const { specs } = lossPipeline(name);
          const kinks = (i: Inputs) => pipelineReference(specs, { inputs: i }).kinks;
          checked += checkFiniteDifferences(loss, inputs, 'keypoints_pred', coords, { h: 1e-2, kinks });
        },
      ),
      runs(30),
    );
    expect(checked).toBeGreaterThan(18);
  });

  it('NaN targets may also sit next to ±large finite values without affecting finiteness', () => {
    fc.assert(
      fc.property(
        dimsArb().chain((d) =>
          fc.record({
            t: keypointsArb(d.B, d.K, { nan: 'pair' }),
            p: fc.array(orNaN(num(-1e4, 1e4), 0, 1), { minLength: 2 * d.B * d.K, maxLength: 2 * d.B * d.K }),
          }),
        ),
        ({ t, p }) => {
          const inputs = { keypoints_targ: t, keypoints_pred: arr(t.shape, p) };
          expect(Number.isFinite(evaluate(loss, inputs).loss)).toBe(true);
          expectAllFinite(gradients(loss, inputs).keypoints_pred, 'gradient');
        },
      ),
      runs(20),
    );
  });
});
