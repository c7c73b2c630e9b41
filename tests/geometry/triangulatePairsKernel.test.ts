import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import type { Camera } from '../../src/config/calibration.js';
import { type Point2, pairwiseRef, undistortRef } from '../../src/geometry/reference.js';
import { createLossOrThrow, formatIssues } from '../../src/index.js';
import type { BuiltTransform } from '../../src/pipeline/step.js';
import { triangulatePairs } from '../../src/steps/transform/triangulatePairs.js';
import { close, runs } from '../property/arbitraries.js';
import { viewBatchArb, viewPredictions } from './batches.js';

/**
 * The fused triangulate_pairs (the `multiview` kernel's `pairs` mode, src/kernels/multiview.ts)
 * against its tfjs-ops path ({ fused: false }): equal pair points (NaN at the same places) and
 * equal gradients of a weighted sum of the present pair points, on random rigs and batches with
 * missing views.
 */

const build = (cameras: readonly Camera[], fused: boolean): BuiltTransform => {
  const spec = { transform: 'triangulate_pairs', of: 'keypoints_pred_views', as: 'keypoints_pred_3d_triangulated' } as const;
  const r = triangulatePairs.build(spec, { kinds: { keypoints_pred_views: 'points' }, path: 'test.pipeline[0]', loss: 'test', cameras, fused }, {});
  if (either.isLeft(r)) throw new Error(formatIssues(r.left));
  return r.right as BuiltTransform;
};

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

const caseArb = viewBatchArb({
  drop: 'oneInSix',
  // noise bounded away from 0: at exact agreement a distance sits at the norm's kink (float32 and float64 see different sides)
  awayFromKink: true,
  extras: ({ n, B, K }) => ({
    weights: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 6 * n, maxLength: 6 * n }),
    unlabeled: fc.array(fc.boolean(), { minLength: B * K, maxLength: B * K }).map((d) => d.map((x, i) => x && i % 4 === 1)),
  }),
});

/** supervised_pairwise_projections in float64 on (B, V, K, 2) points: mean over present (frame, pair, keypoint) of ‖pair point − target‖. */
const pairwiseLoss64 = (c: Case, x: Float64Array): number => {
  const V = c.cams.length;
  let [sum, n] = [0, 0];
  for (let f = 0; f < c.B; f++)
    for (let k = 0; k < c.K; k++) {
      if (c.unlabeled[f * c.K + k]) continue;
      const t = c.points[f * c.K + k];
      const seen = c.cams.map((cam, v): Point2 | null => {
        const i = ((f * V + v) * c.K + k) * 2;
        return Number.isNaN(x[i]) ? null : undistortRef([x[i], x[i + 1]], cam);
      });
      for (const X of pairwiseRef(seen, c.cams)) if (X) (sum += Math.hypot(X[0] - t[0], X[1] - t[1], X[2] - t[2])), n++;
    }
  return n ? sum / n : 0;
};

describe('the fused triangulate_pairs', () => {
  it('equals the tfjs-ops path in the pair points and their gradient (missing views)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const V = c.cams.length;
        const P = (V * (V - 1)) / 2;
        const pts = tf.tensor4d(Float32Array.from(viewPredictions(c)), [c.B, V, c.K, 2]);
        const w = tf.tensor4d(Float32Array.from(c.weights.slice(0, c.B * P * c.K * 3)), [c.B, P, c.K, 3]);
        const run = (fused: boolean) => {
          const t = build(c.cams, fused);
          return tf.tidy(() => {
            const out = t.apply(pts).dataSync().slice();
            // a weighted sum of the present pair points (a missing pair's NaN is selected away: upstream gradient 0 there)
            const loss = (p: tf.Tensor) => {
              const X = t.apply(p);
              return tf.where(tf.isNaN(X), tf.zerosLike(X), X.mul(w)).sum() as tf.Scalar;
            };
            const g = tf.grad(loss)(pts).dataSync().slice();
            return { out, g };
          });
        };
        const [a, b] = [run(true), run(false)];
        tf.dispose([pts, w]);
        // world points of ~1 m from float32 pixels: the tfjs-ops path's float32 DLT against the kernel's float64
        const xs = Math.max(1e-6, ...Array.from(b.out, (x) => (Number.isNaN(x) ? 0 : Math.abs(x))));
        a.out.forEach((x, i) => {
          if (Number.isNaN(x) !== Number.isNaN(b.out[i]) || !close(x, b.out[i], 1e-3, 1e-4 * xs)) expect.fail(`X[${i}]: kernel ${x}, tfjs ops ${b.out[i]}`);
        });
        const gs = Math.max(1e-6, ...Array.from(b.g, Math.abs));
        a.g.forEach((g, i) => {
          if (!close(g, b.g[i], 1e-3, 1e-3 * gs + 1e-6)) expect.fail(`d/dpred[${i}]: kernel ${g}, tfjs ops ${b.g[i]}`);
        });
      }),
      runs(40),
    );
  });

  it('supervised_pairwise_projections from 2-D predictions: the fused plan (transform kernel, then the keypoints kernel): value as tfjs ops, gradient as float64 central differences (and tfjs ops within their float32 error)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const V = c.cams.length;
        const params = { log_weight: 0, predictions: 'keypoints_pred_views' as const };
        const [fused, ops] = [
          createLossOrThrow('supervised_pairwise_projections', params, { cameras: c.cams }),
          createLossOrThrow('supervised_pairwise_projections', params, { cameras: c.cams, fused: false }),
        ];
        expect([fused.kernel, ops.kernel]).toEqual(['keypoints', null]);
        const pts = tf.tensor4d(Float32Array.from(viewPredictions(c)), [c.B, V, c.K, 2]);
        const targ = tf.tensor3d(Float32Array.from(c.points.flatMap((p, i) => (c.unlabeled[i] ? [NaN, NaN, NaN] : [...p]))), [c.B, c.K, 3]);
        const run = (l: typeof fused) =>
          tf.tidy(() => {
            const { value, grad } = tf.valueAndGrad((p: tf.Tensor) => l({ keypoints_pred_views: p, keypoints_targ_3d: targ }, 'train').loss as tf.Scalar)(pts);
            return { value: value.dataSync()[0], g: grad.dataSync().slice() };
          });
        const [a, b] = [run(fused), run(ops)];
        tf.dispose([pts, targ]);
        if (!close(a.value, b.value, 1e-3, 1e-5)) expect.fail(`loss: fused ${a.value}, tfjs ops ${b.value}`);
        // the gradient against central differences of the float64 reference loss (the tfjs-ops path's float32 DLT moves a pair
        // point by up to ~1e-4 of its size, which turns the unit vector (X − t)/‖X − t‖ of a few-mm distance by ~0.5%)
        const x64 = Float64Array.from(Float32Array.from(viewPredictions(c)));
        const h = 1e-3;
        const gs = Math.max(1e-6, ...Array.from(a.g, Math.abs));
        a.g.forEach((g, i) => {
          if (Number.isNaN(x64[i])) return expect(g).toBe(0);
          const at = (d: number) => ((x64[i] += d), pairwiseLoss64(c, x64));
          const fd = (at(h) - at(-2 * h)) / (2 * h);
          x64[i] += h;
          if (!close(g, fd, 1e-3, 1e-3 * gs + 1e-7))
            expect.fail(
              `d/dpred[${i}]: fused ${g}, float64 central difference ${fd} (x ${x64[i]}, B ${c.B} K ${c.K} V ${V}, loss ${a.value}, ${JSON.stringify(c.drop)}, ${JSON.stringify(c.unlabeled)})`,
            );
        });
        // and the tfjs-ops path's, within its float32 error
        b.g.forEach((g, i) => {
          if (!close(a.g[i], g, 2e-2, 2e-2 * gs + 1e-6)) expect.fail(`d/dpred[${i}]: fused ${a.g[i]}, tfjs ops ${g}`);
        });
      }),
      runs(40),
    );
  });

  it('supervised_reprojection_heatmap_mse from 2-D predictions: triangulate_pairs and project_views run ahead of the reprojection kernel (render + compare in one pass); value and gradient as tfjs ops', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (c, seed) => {
        const V = c.cams.length;
        const sizes = { original_image_height: 480, original_image_width: 640, downsampled_image_height: 24, downsampled_image_width: 32 };
        const params = { log_weight: 0, ...sizes, predictions: 'keypoints_pred_views' as const };
        const [fused, ops] = [
          createLossOrThrow('supervised_reprojection_heatmap_mse', params, { cameras: c.cams }),
          createLossOrThrow('supervised_reprojection_heatmap_mse', params, { cameras: c.cams, fused: false }),
        ];
        expect([fused.kernel, ops.kernel]).toEqual(['reprojection', null]);
        const pts = tf.tensor4d(Float32Array.from(viewPredictions(c)), [c.B, V, c.K, 2]);
        // label maps: random in [0, 1), one in four all zero (dropped as the reference does)
        const maps = tf.tidy(() =>
          tf.randomUniform([c.B, V * c.K, 24, 32], 0, 1, 'float32', seed).mul(tf.randomUniform([c.B, V * c.K, 1, 1], 0, 1, 'float32', seed + 1).greater(0.25)),
        );
        const run = (l: typeof fused) =>
          tf.tidy(() => {
            const { value, grad } = tf.valueAndGrad((p: tf.Tensor) => l({ keypoints_pred_views: p, heatmaps_targ: maps }, 'train').loss as tf.Scalar)(pts);
            return { value: value.dataSync()[0], g: grad.dataSync().slice() };
          });
        const [a, b] = [run(fused), run(ops)];
        tf.dispose([pts, maps]);
        if (!close(a.value, b.value, 1e-4, 1e-7)) expect.fail(`loss: fused ${a.value}, tfjs ops ${b.value}`);
        const gs = Math.max(1e-9, ...Array.from(b.g, Math.abs));
        a.g.forEach((g, i) => {
          if (!close(g, b.g[i], 1e-2, 1e-2 * gs)) expect.fail(`d/dpred[${i}]: fused ${g}, tfjs ops ${b.g[i]}`);
        });
      }),
      runs(20),
    );
  });
});
