/**
 * Invariants of the multi-view losses beyond what the registry suites check (their value against
 * their steps' references at their example parameters, fused = tfjs ops: tests/property/lossRegistry.test.ts):
 * sign, zero at the target, symmetry, which entries count (D1, D2), the value at any image geometry
 * against the steps' references, on calls the steps' generators draw.
 */
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import type { TransformReference } from '../../src/pipeline/step.js';
import { decodeStep } from '../../src/steps/registry.js';
import {
  type Arr,
  arr,
  checkFiniteDifferences,
  emptyMaps,
  evaluate,
  expectAllClose,
  expectAllFinite,
  expectAllZero,
  expectClose,
  expectZeroResult,
  gradients,
  heatmapsArb,
  type Inputs,
  make,
  mapInputs,
  num,
  permutation,
  permuteAxis,
  permuteBatch,
  permuteKeypoints,
  runs,
} from './arbitraries.js';
import { pipelineReference } from './pipelineReference.js';
import { type LossCase, lossCaseArb, lossPipeline, permuteCaseKeypoints, referenceLoss } from './registryCases.js';

const PAIRWISE = 'supervised_pairwise_projections';
const REPROJ = 'supervised_reprojection_heatmap_mse';

/** Entry (b, q, k) of a (B, P, K) grid has a NaN on either side. */
const invalidEntries = (t: Arr, p: Arr): boolean[] => {
  const [B, P, K] = p.shape;
  const out: boolean[] = [];
  for (let b = 0; b < B; b++)
    for (let q = 0; q < P; q++)
      for (let k = 0; k < K; k++) {
        const tv = t.data.subarray((b * K + k) * 3, (b * K + k) * 3 + 3);
        const pv = p.data.subarray(((b * P + q) * K + k) * 3, ((b * P + q) * K + k) * 3 + 3);
        out.push([...tv, ...pv].some(Number.isNaN));
      }
  return out;
};

describe(`${PAIRWISE} properties`, () => {
  const loss = make(PAIRWISE);
  const cases = lossCaseArb(PAIRWISE);
  const { specs } = lossPipeline(PAIRWISE);

  it('is finite and ≥ 0 (entries with a NaN masked)', () => {
    fc.assert(
      fc.property(cases, (lc) => {
        const r = evaluate(loss, lc.inputs);
        expect(Number.isFinite(r.loss), `loss ${r.loss}`).toBe(true);
        expect(r.loss).toBeGreaterThanOrEqual(0);
      }),
      runs(30),
    );
  });

  it('is zero when every camera pair predicts the target', () => {
    fc.assert(
      fc.property(cases, (lc) => {
        const t = lc.inputs.keypoints_targ_3d;
        const [B, P, K] = lc.inputs.keypoints_pred_3d.shape;
        const pred = arr(
          [B, P, K, 3],
          Array.from({ length: B * P * K * 3 }, (_, i) => t.data[Math.floor(i / (P * K * 3)) * K * 3 + (i % (K * 3))]),
        );
        const inputs = { keypoints_targ_3d: t, keypoints_pred_3d: pred };
        expect(evaluate(loss, inputs).loss).toBe(0);
        expectAllFinite(gradients(loss, inputs).keypoints_pred_3d, 'gradient');
      }),
      runs(30),
    );
  });

  it('is invariant to permuting the batch, the camera pairs, and the keypoints', () => {
    fc.assert(
      fc.property(
        cases.chain((lc) => fc.tuple(fc.constant(lc), permutation(lc.B), permutation(lc.inputs.keypoints_pred_3d.shape[1]), permutation(lc.K))),
        ([lc, pb, pp, pk]) => {
          const base = evaluate(loss, lc.inputs).loss;
          const g = arr(lc.inputs.keypoints_pred_3d.shape, gradients(loss, lc.inputs).keypoints_pred_3d);
          const byBatch = mapInputs(lc.inputs, (_, a) => permuteBatch(a, pb));
          expectClose(evaluate(loss, byBatch).loss, base, 'batch-permuted loss', 1e-5, 1e-7);
          expectAllClose(gradients(loss, byBatch).keypoints_pred_3d, permuteBatch(g, pb).data, 'batch-permuted gradient', 1e-5, 1e-7);
          const byPair = { ...lc.inputs, keypoints_pred_3d: permuteAxis(lc.inputs.keypoints_pred_3d, 1, pp) };
          expectClose(evaluate(loss, byPair).loss, base, 'pair-permuted loss', 1e-5, 1e-7);
          const byKp = permuteCaseKeypoints(lc, pk).inputs;
          expectClose(evaluate(loss, byKp).loss, base, 'keypoint-permuted loss', 1e-5, 1e-7);
          expectAllClose(gradients(loss, byKp).keypoints_pred_3d, permuteKeypoints('keypoints_pred_3d', g, pk).data, 'keypoint-permuted gradient', 1e-5, 1e-7);
        },
      ),
      runs(30),
    );
  });

  it('D1: all-NaN targets or all-NaN predictions → exactly 0 with all-zero gradients', () => {
    fc.assert(
      fc.property(cases, fc.boolean(), ({ inputs }, targSide) => {
        const nan = (a: Arr) => arr(a.shape, new Array(a.data.length).fill(NaN));
        const ins = targSide
          ? { ...inputs, keypoints_targ_3d: nan(inputs.keypoints_targ_3d) }
          : { ...inputs, keypoints_pred_3d: nan(inputs.keypoints_pred_3d) };
        const r = evaluate(make(PAIRWISE, { log_weight: 3 }), ins);
        expectZeroResult(r);
        expectAllZero(gradients(loss, ins).keypoints_pred_3d, 'gradient');
      }),
      runs(30),
    );
  });

  it('D2: gradients are finite and exactly zero at entries with a NaN on either side', () => {
    fc.assert(
      fc.property(cases, ({ inputs }) => {
        const g = gradients(loss, inputs).keypoints_pred_3d;
        expectAllFinite(g, 'gradient');
        invalidEntries(inputs.keypoints_targ_3d, inputs.keypoints_pred_3d).forEach(
          (bad, e) => bad && expectAllZero(g.subarray(3 * e, 3 * e + 3), `gradient of invalid entry ${e}`),
        );
      }),
      runs(40),
    );
  });

  it('gradient agrees with central finite differences (away from zero distance)', () => {
    let checked = 0;
    fc.assert(
      fc.property(cases, fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), ({ inputs }, coords) => {
        const finite = coords.map((c) => c % inputs.keypoints_pred_3d.data.length).filter((i) => !Number.isNaN(inputs.keypoints_pred_3d.data[i]));
        checked += checkFiniteDifferences(loss, inputs, 'keypoints_pred_3d', finite, {
          h: 1e-2,
          kinks: (i) => pipelineReference(specs, { inputs: i }).kinks,
        });
      }),
      runs(30),
    );
    expect(checked).toBeGreaterThan(15);
  });
});

/** Gather maps (b, k) of heatmaps (B, K, H, W) and keypoints (B, K, 2) into a batch of one frame. */
const gatherMaps = (inputs: Inputs, keep: readonly number[]): Inputs => {
  const t = inputs.heatmaps_targ;
  const kp = inputs.keypoints_pred_2d_reprojected;
  const hw = t.shape[2] * t.shape[3];
  return {
    heatmaps_targ: arr(
      [1, keep.length, t.shape[2], t.shape[3]],
      keep.flatMap((m) => [...t.data.subarray(m * hw, (m + 1) * hw)]),
    ),
    keypoints_pred_2d_reprojected: arr(
      [1, keep.length, 2],
      keep.flatMap((m) => [kp.data[2 * m], kp.data[2 * m + 1]]),
    ),
  };
};

/** Reprojection geometry: original image size and heatmap grid (they fix the inputs' sizes: drawn before them). */
const geometryArb = fc.record({
  log_weight: num(-20, 20),
  original_image_height: fc.integer({ min: 4, max: 64 }),
  original_image_width: fc.integer({ min: 4, max: 64 }),
  downsampled_image_height: fc.integer({ min: 1, max: 8 }),
  downsampled_image_width: fc.integer({ min: 1, max: 8 }),
});

/** The maps the loss's gaussian_heatmaps step renders of `kp`, by the reference that step declares. */
const rendered = (lc: LossCase, kp: Arr): Arr => {
  const spec = lc.specs.find((s) => 'transform' in s)!;
  const d = decodeStep(spec, 'transform');
  if (either.isLeft(d) || d.right.def.reference?.phase !== 'transform') throw new Error('reprojection: no transform reference');
  const out = (d.right.def.reference as TransformReference<unknown>).apply(d.right.params, kp).out;
  return arr(out.shape, out.data);
};

describe(`${REPROJ} properties`, () => {
  const cases = lossCaseArb(REPROJ, { fixed: geometryArb });
  it('is finite, ≥ 0 and equals its steps’ references at any image geometry (D3: ×H·W of the heatmap)', () => {
    fc.assert(
      fc.property(cases, (lc) => {
        const r = evaluate(make(REPROJ, lc.params), lc.inputs);
        expect(Number.isFinite(r.loss), `loss ${r.loss}`).toBe(true);
        expect(r.loss).toBeGreaterThanOrEqual(0);
        expectClose(r.loss, referenceLoss(lc), 'loss vs its steps’ references', 1e-4, 1e-5);
      }),
      runs(50),
    );
  });

  it('is zero when the targets are the maps rendered at the predicted keypoints', () => {
    fc.assert(
      fc.property(cases, (lc) => {
        const kp = lc.inputs.keypoints_pred_2d_reprojected;
        const inputs = { heatmaps_targ: rendered(lc, kp), keypoints_pred_2d_reprojected: kp };
        expect(evaluate(make(REPROJ, lc.params), inputs).loss).toBeLessThanOrEqual(1e-8);
      }),
      runs(30),
    );
  });

  it('is invariant to permuting the batch and the keypoints', () => {
    fc.assert(
      fc.property(
        cases.chain((lc) => fc.tuple(fc.constant(lc), permutation(lc.B), permutation(lc.K))),
        ([lc, pb, pk]) => {
          const l = make(REPROJ, lc.params);
          const key = 'keypoints_pred_2d_reprojected';
          const base = evaluate(l, lc.inputs).loss;
          const g = arr(lc.inputs[key].shape, gradients(l, lc.inputs)[key]);
          const byBatch = mapInputs(lc.inputs, (_, a) => permuteBatch(a, pb));
          expectClose(evaluate(l, byBatch).loss, base, 'batch-permuted loss', 1e-5, 1e-7);
          expectAllClose(gradients(l, byBatch)[key], permuteBatch(g, pb).data, 'batch-permuted gradient', 1e-4, 1e-6);
          const byKp = permuteCaseKeypoints(lc, pk).inputs;
          expectClose(evaluate(l, byKp).loss, base, 'keypoint-permuted loss', 1e-5, 1e-7);
          expectAllClose(gradients(l, byKp)[key], permuteKeypoints(key, g, pk).data, 'keypoint-permuted gradient', 1e-4, 1e-6);
        },
      ),
      runs(25),
    );
  });

  it('with empty target maps equals the loss over the labeled maps alone (gathered)', () => {
    fc.assert(
      fc.property(cases, (lc) => {
        const keep = emptyMaps(lc.inputs.heatmaps_targ).flatMap((e, m) => (e ? [] : [m]));
        fc.pre(keep.length > 0);
        const l = make(REPROJ, lc.params);
        expectClose(evaluate(l, gatherMaps(lc.inputs, keep)).loss, evaluate(l, lc.inputs).loss, 'loss over the labeled maps', 1e-5, 1e-7);
      }),
      runs(30),
    );
  });

  it('D1: all target maps empty → exactly 0 with all-zero gradients (NaN keypoints included)', () => {
    fc.assert(
      fc.property(
        cases.chain((lc) => fc.tuple(fc.constant(lc), fc.array(fc.boolean(), { minLength: 2 * lc.B * lc.K, maxLength: 2 * lc.B * lc.K }))),
        ([lc, nan]) => {
          const t = lc.inputs.heatmaps_targ;
          const kp = lc.inputs.keypoints_pred_2d_reprojected;
          const inputs = {
            heatmaps_targ: arr(t.shape, new Array(t.data.length).fill(0)),
            keypoints_pred_2d_reprojected: arr(
              kp.shape,
              Array.from(kp.data, (v, i) => (nan[i] ? NaN : v)),
            ),
          };
          const l = make(REPROJ, lc.params);
          const r = evaluate(l, inputs);
          expectZeroResult(r, { logs: false });
          expectAllZero(gradients(l, inputs).keypoints_pred_2d_reprojected, 'gradient');
        },
      ),
      runs(25),
    );
  });

  it('gradients are finite with NaN and off-image keypoints (they render as zero maps)', () => {
    fc.assert(
      fc.property(
        cases.chain((lc) =>
          fc.tuple(fc.constant(lc), fc.array(fc.constantFrom('keep', 'nan', 'far'), { minLength: 2 * lc.B * lc.K, maxLength: 2 * lc.B * lc.K })),
        ),
        ([lc, how]) => {
          const kp = lc.inputs.keypoints_pred_2d_reprojected;
          const moved = arr(
            kp.shape,
            Array.from(kp.data, (v, i) => (how[i] === 'nan' ? NaN : how[i] === 'far' ? v + 1e4 : v)),
          );
          const inputs: Inputs = { ...lc.inputs, keypoints_pred_2d_reprojected: moved };
          const l = make(REPROJ, lc.params);
          const r = evaluate(l, inputs);
          expect(Number.isFinite(r.loss), `loss ${r.loss}`).toBe(true);
          expectClose(r.loss, referenceLoss(lc, inputs), 'loss vs its steps’ references', 1e-4, 1e-5);
          const g = gradients(l, inputs).keypoints_pred_2d_reprojected;
          expectAllFinite(g, 'gradient');
          // a keypoint with a NaN coordinate renders a constant (zero) map: no gradient
          for (let m = 0; m < g.length / 2; m++)
            if (Number.isNaN(moved.data[2 * m]) || Number.isNaN(moved.data[2 * m + 1]))
              expectAllZero(g.subarray(2 * m, 2 * m + 2), `gradient of NaN keypoint ${m}`);
        },
      ),
      runs(30),
    );
  });

  it('gradient agrees with central finite differences (away from the grid clamps)', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        fc.record({ B: fc.integer({ min: 1, max: 3 }), K: fc.integer({ min: 1, max: 3 }), params: geometryArb }).chain(({ B, K, params }) =>
          fc.record({
            params: fc.constant(params),
            targ: heatmapsArb({ B, K, H: params.downsampled_image_height, W: params.downsampled_image_width }, { empty: 0.2 }),
            kp: fc.array(fc.tuple(num(0, params.original_image_width), num(0, params.original_image_height)), { minLength: B * K, maxLength: B * K }),
            coords: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
          }),
        ),
        ({ params, targ, kp, coords }) => {
          const inputs = { heatmaps_targ: targ, keypoints_pred_2d_reprojected: arr([targ.shape[0], targ.shape[1], 2], kp.flat()) };
          checked += checkFiniteDifferences(make(REPROJ, params), inputs, 'keypoints_pred_2d_reprojected', coords, {
            h: 1e-2,
            kinks: (i) => pipelineReference(lossPipeline(REPROJ, params).specs, { inputs: i }).kinks,
          });
        },
      ),
      runs(30),
    );
    expect(checked).toBeGreaterThan(15);
  });
});
