/**
 * Invariants of the temporal losses beyond what the registry suites check (their value at the
 * default parameters against their steps' references, fused = tfjs ops: tests/property/lossRegistry.test.ts):
 * the value against the steps' references at any epsilon and threshold, sign, stillness, symmetry,
 * rectify monotonicity, D1 and D2, the float32 threshold edge, on calls the steps' generators draw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Arr,
  arr,
  checkFiniteDifferences,
  confidencesArb,
  dimsArb,
  epsilonArb,
  evaluate,
  expectAllClose,
  expectAllFinite,
  expectAllZero,
  expectClose,
  expectZeroResult,
  gradients,
  heatmapsArb,
  type Inputs,
  keypointsArb,
  logWeightArb,
  make,
  mapInputs,
  num,
  permutation,
  permuteAxis,
  permuteKeypoints,
  runs,
  takeRows,
  thresholdArb,
  unfused,
} from './arbitraries.js';
import { type PipelineReference, pipelineReference } from './pipelineReference.js';
import { type LossCase, lossPipeline, permuteCaseKeypoints, lossCaseArb as registryCaseArb } from './registryCases.js';

const NAMES = ['temporal', 'temporal_heatmap_mse', 'temporal_heatmap_kl'] as const;
type Name = (typeof NAMES)[number];

/** B ≥ 2: the B = 1 case is D1's (its own properties below). */
const MULTI = { minB: 2 };

const PRED: Record<Name, string> = { temporal: 'keypoints_pred', temporal_heatmap_mse: 'heatmaps_pred', temporal_heatmap_kl: 'heatmaps_pred' };

/** The loss with these parameters from its steps' declared references: its value, pair values (NaN where masked) and kinks. */
const ref = (name: Name, inputs: Inputs, params: Record<string, unknown>): PipelineReference => pipelineReference(lossPipeline(name, params).specs, { inputs });

/** Largest unmasked pair value (before epsilon); −∞ when none. */
const maxValue = (r: PipelineReference): number => r.values.reduce((m, v) => (Number.isNaN(v) ? m : Math.max(m, v)), -Infinity);

/** Calls with a log weight, an epsilon (a number or one per keypoint, on the loss's scale) and a threshold over the loss's own parameters. */
const lossCaseArb = (name: Name, o: { minB?: number; maxB?: number }) =>
  registryCaseArb(name, {
    ...o,
    params: ({ K }) =>
      fc.record({
        log_weight: logWeightArb,
        epsilon: epsilonArb(K, 0, { temporal: 8, temporal_heatmap_mse: 0.05, temporal_heatmap_kl: 1 }[name]),
        prob_threshold: thresholdArb,
      }),
  });

/** Frames in reverse order (every input). */
const reversed = (inputs: Inputs): Inputs =>
  mapInputs(inputs, (_, a) =>
    permuteAxis(
      a,
      0,
      Array.from({ length: a.shape[0] }, (_, i) => a.shape[0] - 1 - i),
    ),
  );

/** All-ones confidences for a case. */
const ones = (lc: LossCase): Arr => arr([lc.B, lc.K], new Array(lc.B * lc.K).fill(1));

/** Every frame a copy of frame 0. */
const still = (a: Arr): Arr => takeRows(a, new Array(a.shape[0]).fill(0));

/** Predictions NaN at (frame, keypoint) entries whose confidence is below the threshold (so every pair they feed is masked). */
const nanWhereMasked = (pred: Arr, conf: Arr, thr: number, which: readonly boolean[]): Arr => {
  const [B, K] = conf.shape;
  const per = pred.data.length / (B * K); // 2 (flat) or H·W (maps)
  const th = Math.fround(thr);
  return arr(
    pred.shape,
    Array.from(pred.data, (v, i) => {
      const m = Math.floor(i / per); // (b, k) in row-major order: flat (B, 2K) pairs and (B, K, H, W) maps both fit
      return which[m] && conf.data[m] < th ? NaN : v;
    }),
  );
};

/** A case whose predictions are NaN at some low-confidence entries (B ≥ 2, threshold > 0). */
const maskedNaNCase = (name: Name, d0: Parameters<typeof dimsArb>[0] = {}) =>
  dimsArb({ minB: 2, maxH: 5, maxW: 5, ...d0 }).chain((d) =>
    fc
      .record({
        pred:
          name === 'temporal'
            ? keypointsArb(d.B, d.K, { range: 5 })
            : heatmapsArb(d, name === 'temporal_heatmap_kl' ? { positive: [0.2, 2] } : { positive: [0, 3] }),
        conf: confidencesArb(d.B, d.K),
        thr: num(0.01, 1).map(Math.fround),
        eps: fc.oneof(num(0, 1), fc.array(num(0, 1), { minLength: d.K, maxLength: d.K })),
        which: fc.array(fc.boolean(), { minLength: d.B * d.K, maxLength: d.B * d.K }),
        coords: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      })
      .map(({ pred, conf, thr, eps, which, coords }) => ({
        inputs: { [PRED[name]]: nanWhereMasked(pred, conf, thr, which), confidences: conf } as Inputs,
        params: { prob_threshold: thr, epsilon: eps },
        coords,
      })),
  );

describe.each(NAMES)('%s properties', (name) => {
  const key = PRED[name];

  it('is finite, ≥ 0 and equals the plain-JS formula (masked pairs count as 0 in the mean)', () => {
    fc.assert(
      fc.property(lossCaseArb(name, MULTI), (lc) => {
        const r = evaluate(make(name, lc.params), lc.inputs, 'test');
        expect(Number.isFinite(r.loss), `loss ${r.loss}`).toBe(true);
        expect(r.loss).toBeGreaterThanOrEqual(0);
        expectClose(r.loss, ref(name, lc.inputs, lc.params).loss, 'loss vs its steps’ references', 1e-4, 1e-6);
        expect(r.logs.map((x) => x.name)).toEqual([`test_${name}_loss`, `${name}_weight`]);
      }),
      runs(50),
    );
  });

  it('is zero when nothing moves between frames (ε ≥ 0)', () => {
    fc.assert(
      fc.property(lossCaseArb(name, MULTI), (lc) => {
        const inputs = { ...lc.inputs, [key]: still(lc.inputs[key]) };
        const l = make(name, lc.params);
        expect(evaluate(l, inputs).loss).toBe(0);
        expectAllFinite(gradients(l, inputs)[key], 'gradient');
      }),
      runs(30),
    );
  });

  it('is invariant to permuting keypoints consistently (inputs and per-keypoint epsilon)', () => {
    fc.assert(
      fc.property(
        lossCaseArb(name, MULTI).chain((lc) => fc.tuple(fc.constant(lc), permutation(lc.K))),
        ([lc, perm]) => {
          const p = permuteCaseKeypoints(lc, perm);
          const [l, lp] = [make(name, lc.params), make(name, p.params)];
          expectClose(evaluate(lp, p.inputs).loss, evaluate(l, lc.inputs).loss, 'permuted loss', 1e-5, 1e-7);
          const g = arr(lc.inputs[key].shape, gradients(l, lc.inputs)[key]);
          expectAllClose(
            gradients(lp, p.inputs)[key],
            permuteKeypoints(key, g, perm).data,
            'permuted gradient',
            1e-4,
            name === 'temporal_heatmap_kl' ? 0 : 1e-6,
          );
        },
      ),
      runs(25),
    );
  });

  if (name !== 'temporal_heatmap_kl')
    it('is invariant to reversing time (its pair value is symmetric)', () => {
      fc.assert(
        fc.property(lossCaseArb(name, MULTI), (lc) => {
          const l = make(name, lc.params);
          expectClose(evaluate(l, reversed(lc.inputs)).loss, evaluate(l, lc.inputs).loss, 'reversed loss', 1e-5, 1e-7);
        }),
        runs(25),
      );
    });

  it('rectify: non-increasing in a scalar ε (exactly, in float32), and exactly 0 with zero gradient once ε ≥ every pair value', () => {
    fc.assert(
      fc.property(lossCaseArb(name, MULTI), num(-1, 10), num(-1, 10), (lc, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const at = (epsilon: number) => evaluate(make(name, { ...lc.params, epsilon }), lc.inputs).loss;
        const scale = name === 'temporal_heatmap_mse' ? 0.01 : 1;
        expect(at(hi * scale)).toBeLessThanOrEqual(at(lo * scale));
        const top = maxValue(ref(name, lc.inputs, lc.params));
        const enough = Number.isFinite(top) ? top + Math.abs(top) * 1e-3 + 1e-6 : 0;
        const params = { ...lc.params, epsilon: enough + Math.abs(a) * scale };
        expect(evaluate(make(name, params), lc.inputs).loss).toBe(0);
        expectAllZero(gradients(make(name, params), lc.inputs)[key], 'gradient');
      }),
      runs(30),
    );
  });

  it('rectify: non-increasing in a per-keypoint ε raised at one keypoint', () => {
    fc.assert(
      fc.property(
        lossCaseArb(name, MULTI).chain((lc) =>
          fc.tuple(fc.constant(lc), fc.array(num(0, 2), { minLength: lc.K, maxLength: lc.K }), fc.nat(lc.K - 1), num(0, 5)),
        ),
        ([lc, eps, k, up]) => {
          const raised = eps.map((e, i) => (i === k ? e + up : e));
          const at = (epsilon: number[]) => evaluate(make(name, { ...lc.params, epsilon }), lc.inputs).loss;
          expect(at(raised)).toBeLessThanOrEqual(at(eps));
        },
      ),
      runs(25),
    );
  });

  it('D1: a batch of one frame → exactly 0 with all-zero gradients', () => {
    fc.assert(
      fc.property(lossCaseArb(name, { minB: 1, maxB: 1 }), (lc) => {
        const l = make(name, lc.params);
        const r = evaluate(l, lc.inputs);
        expectZeroResult(r);
        const g = gradients(l, lc.inputs)[key];
        expect(g.length).toBe(lc.inputs[key].data.length);
        expectAllZero(g, 'gradient');
      }),
      runs(20),
    );
  });

  it('D1 on the tfjs-ops path: a batch of one frame → loss exactly 0 and all-zero gradients', () => {
    fc.assert(
      fc.property(lossCaseArb(name, { minB: 1, maxB: 1 }), (lc) => {
        const l = unfused(make(name, lc.params));
        expectZeroResult(evaluate(l, lc.inputs), { logs: false });
        expectAllZero(gradients(l, lc.inputs)[key], 'gradient');
      }),
      runs(20),
    );
  });

  it('the fused kernel and the tfjs-ops path agree: loss and gradient (NaN-masked frames included)', () => {
    fc.assert(
      fc.property(fc.oneof(lossCaseArb(name, MULTI), maskedNaNCase(name)), (c) => {
        const l = make(name, c.params);
        const ops = unfused(l);
        expectClose(evaluate(l, c.inputs).loss, evaluate(ops, c.inputs).loss, 'fused vs tfjs-ops loss', 1e-5, 1e-7);
        const [g, go] = [gradients(l, c.inputs)[key], gradients(ops, c.inputs)[key]];
        // KL gradients reach ~1e10 (−p[t+1]/p[t] near empty pixels): absolute slack scales with the largest
        const big = go.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expectAllClose(g, go, 'fused vs tfjs-ops gradient', 1e-4, 1e-7 + 1e-6 * big);
      }),
      runs(40),
    );
  });

  it('D2: NaN predictions at low-confidence entries → finite loss as if absent; finite gradient, zero there', () => {
    fc.assert(
      fc.property(maskedNaNCase(name), ({ inputs, params }) => {
        const l = make(name, params);
        const r = evaluate(l, inputs);
        expect(Number.isFinite(r.loss), `loss ${r.loss}`).toBe(true);
        expectClose(r.loss, ref(name, inputs, params).loss, 'loss vs its steps’ references', 1e-4, 1e-6);
        const g = gradients(l, inputs)[key];
        expectAllFinite(g, 'gradient');
        inputs[key].data.forEach((v, i) => Number.isNaN(v) && expect(g[i], `gradient at NaN prediction ${i}`).toBe(0));
      }),
      runs(40),
    );
  });

  it('gradient agrees with central finite differences (NaN-masked frames present; away from ‖d‖ = 0 and ε)', () => {
    let checked = 0;
    fc.assert(
      fc.property(maskedNaNCase(name, { maxB: 4, maxK: 3 }), ({ inputs, params, coords }) => {
        const finite = coords.map((c) => c % inputs[key].data.length).filter((i) => !Number.isNaN(inputs[key].data[i]));
        checked += checkFiniteDifferences(make(name, params), inputs, key, finite, {
          h: name === 'temporal_heatmap_kl' ? 3e-3 : 1e-2,
          kinks: (i) => ref(name, i, params).kinks,
        });
      }),
      runs(40),
    );
    expect(checked).toBeGreaterThan(15);
  });

  // float32 rounds 0.7 down to 0.69999999: a confidence of exactly 0.7 must not be below a threshold of 0.7 on any path
  it('a confidence equal to the threshold is not below it, also when float32 rounds the threshold down', () => {
    fc.assert(
      fc.property(
        lossCaseArb(name, MULTI).chain((lc) =>
          fc.tuple(
            fc.constant(lc),
            fc.oneof(fc.constantFrom(0.7, 0.9, 0.6), num(0.01, 0.99)).filter((t) => Math.fround(t) < t),
            fc.array(fc.boolean(), { minLength: lc.B * lc.K, maxLength: lc.B * lc.K }),
          ),
        ),
        ([lc, thr, at]) => {
          const conf = arr(
            [lc.B, lc.K],
            at.map((a, i) => (a ? thr : (lc.inputs.confidences?.data[i] ?? 1))),
          );
          const inputs = { ...lc.inputs, confidences: conf };
          const params = { ...lc.params, prob_threshold: thr };
          expectClose(evaluate(make(name, params), inputs).loss, ref(name, inputs, params).loss, 'loss vs its steps’ references', 1e-4, 1e-6);
        },
      ),
      runs(30),
    );
  });

  it('confidences at or above the threshold everywhere change nothing', () => {
    fc.assert(
      fc.property(lossCaseArb(name, MULTI), thresholdArb, (lc, thr) => {
        const l = make(name, { ...lc.params, prob_threshold: thr });
        const conf = arr([lc.B, lc.K], new Array(lc.B * lc.K).fill(thr));
        const a = evaluate(l, { ...lc.inputs, confidences: conf }).loss;
        const b = evaluate(make(name, { ...lc.params, prob_threshold: 0 }), { ...lc.inputs, confidences: ones(lc) }).loss;
        expect(a).toBe(b);
        if (name === 'temporal') expect(evaluate(l, { keypoints_pred: lc.inputs.keypoints_pred }).loss).toBe(a);
      }),
      runs(20),
    );
  });
});
