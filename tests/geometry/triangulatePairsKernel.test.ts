import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import type { Camera } from '../../src/config/calibration.js';
import { formatIssues } from '../../src/index.js';
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

const caseArb = viewBatchArb({
  drop: 'oneInSix',
  extras: ({ n }) => ({ weights: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 6 * n, maxLength: 6 * n }) }),
});

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
});
