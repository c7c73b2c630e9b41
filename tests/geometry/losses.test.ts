import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import type { Camera } from '../../src/config/calibration.js';
import { medianOfPairsRef, type Point2, type Point3, pairwiseRef, projectRef, triangulateRef, undistortRef } from '../../src/geometry/reference.js';
import { createLoss, createLossOrThrow, formatIssues } from '../../src/index.js';
import { expectAllFinite, runs } from '../property/arbitraries.js';
import { awayFromKink, viewBatchArb, viewPredictions } from './batches.js';
import { rigArb } from './rig.js';

const NAMES = ['cycle_reprojection', 'triangulation_residual'] as const;
type Name = (typeof NAMES)[number];

/** A batch: rig, (B, V, K, 2) predictions (noisy projections, some NaN), (B, V, K) confidences (some low). */
const batchArb = viewBatchArb({
  extras: ({ n }) => ({
    conf: fc.array(fc.oneof(fc.constant(0.01), fc.double({ min: 0.2, max: 1, noNaN: true })), { minLength: n, maxLength: n }),
    epsilon: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2, noNaN: true })),
  }),
});
type Batch = typeof batchArb extends fc.Arbitrary<infer T> ? T : never;

/** (B, V, K, 2) predictions as a flat array in that order. */
const predictions = viewPredictions;

/** The loss in float64 from the references: exclude low-confidence / NaN views, triangulate, reproject, relu(d − ε), mean over kept terms (0 when none). */
const lossRef = (name: Name, b: Batch, pred: Float64Array, threshold: number): number => {
  const V = b.cams.length;
  let sum = 0;
  let n = 0;
  for (let f = 0; f < b.B; f++)
    for (let k = 0; k < b.K; k++) {
      const at = (v: number): Point2 | null => {
        const i = (f * V + v) * b.K + k;
        const p: Point2 = [pred[2 * i], pred[2 * i + 1]];
        return Number.isNaN(p[0]) || Number.isNaN(p[1]) || b.conf[i] < threshold ? null : p;
      };
      const und = b.cams.map((c, v) => (at(v) ? undistortRef(at(v)!, c) : null));
      const X: Point3 | null = name === 'triangulation_residual' ? triangulateRef(und, b.cams) : medianOfPairsRef(pairwiseRef(und, b.cams));
      if (!X) continue;
      b.cams.forEach((c, v) => {
        const p = at(v);
        if (!p) return;
        const r = projectRef(X, c);
        sum += Math.max(0, Math.hypot(p[0] - r[0], p[1] - r[1]) - b.epsilon);
        n++;
      });
    }
  return n ? sum / n : 0;
};

const inputs = (b: Batch, pred: ArrayLike<number>) => ({
  keypoints_pred_views: tf.tensor4d(Float32Array.from(pred), [b.B, b.cams.length, b.K, 2]),
  confidences_views: tf.tensor3d(b.conf, [b.B, b.cams.length, b.K]),
});

describe.each(NAMES)('%s', (name) => {
  it('matches the float64 reference (NaN views, low confidences, epsilon); gradients finite, 0 at missing and low-confidence views', () => {
    fc.assert(
      fc.property(batchArb, (b) => {
        const loss = createLossOrThrow(name, { epsilon: b.epsilon, prob_threshold: 0.05 }, { cameras: b.cams });
        const pred = predictions(b);
        const ins = inputs(b, pred);
        tf.dispose(Object.values(loss(ins)).filter((x) => x instanceof tf.Tensor)); // the first call makes the calibration's constant tensors, kept with the loss
        const before = tf.memory().numTensors;
        const r = loss(ins);
        const got = r.loss.dataSync()[0];
        tf.dispose([r.loss, r.weight, r.weighted]);
        expect(tf.memory().numTensors).toBe(before);
        const want = lossRef(name, b, Float64Array.from(pred, Math.fround), 0.05);
        if (!(Math.abs(got - want) <= 2e-3 * Math.max(1, want))) expect.fail(`loss ${got}, float64 reference ${want}`);
        const g = tf
          .grad((p: tf.Tensor) => loss({ ...ins, keypoints_pred_views: p }).loss)(ins.keypoints_pred_views)
          .dataSync();
        expectAllFinite(g, 'gradient');
        for (let i = 0; i < b.conf.length; i++)
          if (Number.isNaN(pred[2 * i]) || b.conf[i] < 0.05) expect([g[2 * i], g[2 * i + 1]], `gradient at excluded view entry ${i}`).toEqual([0, 0]);
        tf.dispose([ins.keypoints_pred_views, ins.confidences_views]);
      }),
      runs(25),
    );
  });

  it('its gradient matches central differences of the float64 reference', () => {
    fc.assert(
      fc.property(batchArb, fc.nat(), (b0, pick) => {
        // noise bounded away from 0: at exact agreement every distance sits at its kink (autodiff's subgradient 0)
        const b = {
          ...b0,
          noise: awayFromKink(b0.noise),
          drop: b0.drop.map(() => false),
          conf: b0.conf.map(() => 1),
          epsilon: 0,
        };
        const loss = createLossOrThrow(name, {}, { cameras: b.cams });
        const pred = predictions(b);
        const ins = inputs(b, pred);
        const g = tf
          .grad((p: tf.Tensor) => loss({ ...ins, keypoints_pred_views: p }).loss)(ins.keypoints_pred_views)
          .dataSync();
        tf.dispose([ins.keypoints_pred_views, ins.confidences_views]);
        const i = pick % pred.length;
        const h = 1e-3;
        const at = (d: number) =>
          lossRef(
            name,
            b,
            Float64Array.from(pred, (v, j) => Math.fround(v) + (j === i ? d : 0)),
            0.05,
          );
        const fd = (at(h) - at(-h)) / (2 * h);
        // the median of pairs is piecewise: skip a probe that crosses a switch of the middle pair
        if (name === 'cycle_reprojection' && Math.abs(at(h) - 2 * at(0) + at(-h)) > 1e-3 * Math.abs(at(h) - at(-h)) + 1e-9) return;
        if (!(Math.abs(g[i] - fd) <= 5e-3 * Math.abs(fd) + 5e-5)) expect.fail(`d loss / d pred[${i}]: autodiff ${g[i]}, central differences ${fd}`);
      }),
      runs(20),
    );
  });

  it('is invariant to the order of the views (cameras permuted with them)', () => {
    fc.assert(
      fc.property(
        batchArb.chain((b) =>
          fc.record({ b: fc.constant(b), perm: fc.shuffledSubarray([...b.cams.keys()], { minLength: b.cams.length, maxLength: b.cams.length }) }),
        ),
        ({ b, perm }) => {
          const V = b.cams.length;
          const pred = predictions(b);
          const permute = <T>(a: ArrayLike<T>, width: number): T[] => {
            const out: T[] = [];
            for (let f = 0; f < b.B; f++) for (const v of perm) for (let j = 0; j < b.K * width; j++) out.push(a[(f * V + v) * b.K * width + j]);
            return out;
          };
          const value = (bb: Batch, p: ArrayLike<number>, cams: Camera[]) => {
            const ins = inputs(bb, p);
            const r = createLossOrThrow(name, { epsilon: b.epsilon }, { cameras: cams })(ins);
            const v = r.loss.dataSync()[0];
            tf.dispose([r.loss, r.weight, r.weighted, ins.keypoints_pred_views, ins.confidences_views]);
            return v;
          };
          const a = value(b, pred, b.cams);
          const c = value(
            { ...b, conf: permute(b.conf, 1) },
            permute(pred, 2),
            perm.map((v) => b.cams[v]),
          );
          expect(Math.abs(a - c)).toBeLessThanOrEqual(1e-3 * Math.max(1, a));
        },
      ),
      runs(15),
    );
  });

  it('says what is missing: no calibration, a view count that does not match it, mismatched confidences', () => {
    const none = createLoss(name, {});
    expect(either.isLeft(none) && formatIssues(none.left)).toMatch(
      new RegExp(`^${name}.pipeline\\[0\\]: reproject_views needs the rig's calibration .*data\\.camera_params_file`),
    );
    const cams = fc.sample(rigArb({ minV: 3, maxV: 3 }), { numRuns: 1, seed: 5 })[0];
    const loss = createLossOrThrow(name, {}, { cameras: cams });
    expect(() => loss({ keypoints_pred_views: tf.zeros([2, 2, 4, 2]) } as never)).toThrow(
      /expected \(B, V, K, 2\) with V = 3 \(the calibration's cameras: cam0, cam1, cam2\)/,
    );
    expect(() => loss({ keypoints_pred_views: tf.zeros([2, 3, 4, 2]), confidences_views: tf.ones([2, 3, 5]) })).toThrow(
      /confidences_views \(2,3,5\) does not match keypoints_pred_views \(2,3,4,2\)/,
    );
    expect(() => loss({ keypoints_pred_views: tf.zeros([2, 3, 4]) } as never)).toThrow(/keypoints_pred_views \(2,3,4\): expected rank 4/);
  });
});
