/**
 * The reference's supervised multi-view losses fed per-view 2-D predictions and the calibration
 * (`predictions: keypoints_pred_views`): triangulated (and reprojected) in the pipeline. Checked
 * against float64 references and against the 3-D-input path fed the same geometry.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { readYaml } from '../../src/config/yaml.js';
import { cameraTensors, disposeCameras } from '../../src/geometry/cameraTensors.js';
import { triangulatePairs } from '../../src/geometry/pairwise.js';
import { meanOfPairsRef, type Point2, type Point3, pairwiseRef, projectRef, undistortRef } from '../../src/geometry/reference.js';
import { undistort } from '../../src/geometry/undistort.js';
import { createLoss, createLossOrThrow, formatIssues } from '../../src/index.js';
import { checkConfig } from '../../src/lp/check.js';
import { PROJECT_ROOT } from '../../src/verify/configCase.js';
import { expectAllFinite, runs } from '../property/arbitraries.js';
import { viewBatchArb, viewPredictions } from './batches.js';
import { rigArb } from './rig.js';

/** A batch: rig, true points, (B, V, K, 2) noisy projections with some views missing, 3-D targets with some NaN. */
const batchArb = viewBatchArb({
  extras: ({ B, K }) => ({
    unlabeled: fc.array(fc.boolean(), { minLength: B * K, maxLength: B * K }).map((d) => d.map((x, i) => x && i % 4 === 1)),
  }),
});
type Batch = typeof batchArb extends fc.Arbitrary<infer T> ? T : never;

/** (B, V, K, 2) predictions, float32-rounded. */
const predictions = (b: Batch): Float32Array => Float32Array.from(viewPredictions(b));

const targets3d = (b: Batch): Float32Array => Float32Array.from(b.points.flatMap((p, i) => (b.unlabeled[i] ? [NaN, NaN, NaN] : [...p])));

/** Float64: every camera pair's DLT of frame f, keypoint k (null where a view is missing). */
const pairsRef = (b: Batch, pred: Float32Array, f: number, k: number): (Point3 | null)[] => {
  const V = b.cams.length;
  const seen = b.cams.map((c, v): Point2 | null => {
    const i = ((f * V + v) * b.K + k) * 2;
    return Number.isNaN(pred[i]) ? null : undistortRef([pred[i], pred[i + 1]], c);
  });
  return pairwiseRef(seen, b.cams);
};

/** supervised_pairwise_projections in float64: mean over (frame, pair, keypoint) with both sides present of the 3-D distance. */
const pairwiseLossRef = (b: Batch, pred: Float32Array): number => {
  const targ = targets3d(b);
  let [sum, n] = [0, 0];
  for (let f = 0; f < b.B; f++)
    for (let k = 0; k < b.K; k++) {
      const t = [0, 1, 2].map((c) => targ[(f * b.K + k) * 3 + c]);
      if (t.some(Number.isNaN)) continue;
      for (const X of pairsRef(b, pred, f, k)) if (X) (sum += Math.hypot(X[0] - t[0], X[1] - t[1], X[2] - t[2])), n++;
    }
  return n ? sum / n : 0;
};

const views = (b: Batch, pred: Float32Array) => tf.tensor4d(pred, [b.B, b.cams.length, b.K, 2]);
const dispose = (r: { loss: tf.Tensor; weight: tf.Tensor; weighted: tf.Tensor; logs: readonly { value: tf.Tensor }[] }) =>
  tf.dispose([r.loss, r.weight, r.weighted, ...r.logs.map((l) => l.value)]);
const lossValue = (r: Parameters<typeof dispose>[0]): number => {
  const v = r.loss.dataSync()[0];
  dispose(r);
  return v;
};

describe('supervised_pairwise_projections from 2-D predictions (predictions: keypoints_pred_views)', () => {
  it('matches the float64 reference; the same as the 3-D path fed the triangulated points; gradients finite, 0 at missing views and unlabeled keypoints', () => {
    fc.assert(
      fc.property(batchArb, (b) => {
        const loss2d = createLossOrThrow('supervised_pairwise_projections', { predictions: 'keypoints_pred_views' }, { cameras: b.cams });
        const loss3d = createLossOrThrow('supervised_pairwise_projections', {});
        expect(loss2d.reads).toEqual(expect.arrayContaining(['keypoints_pred_views', 'keypoints_targ_3d']));
        expect(loss2d.reads).not.toContain('keypoints_pred_3d');
        const pred = predictions(b);
        const x = views(b, pred);
        const targ = tf.tensor3d(targets3d(b), [b.B, b.K, 3]);
        const before = tf.memory().numTensors;
        const got = lossValue(loss2d({ keypoints_pred_views: x, keypoints_targ_3d: targ }));
        expect(tf.memory().numTensors).toBe(before);
        const want = pairwiseLossRef(b, pred);
        if (!(Math.abs(got - want) <= 1e-4 * Math.max(1, want))) expect.fail(`loss ${got}, float64 reference ${want}`);
        // the 3-D path, fed the same triangulation made outside the loss (tensors), gives the same number
        const cams = cameraTensors(b.cams);
        const kp3d = tf.tidy(() => triangulatePairs(undistort(x, cams), cams));
        disposeCameras(cams);
        const same = lossValue(loss3d({ keypoints_pred_3d: kp3d, keypoints_targ_3d: targ }));
        expect(Math.abs(same - got)).toBeLessThanOrEqual(1e-6 * Math.max(1, got));
        // gradients w.r.t. the per-view predictions
        const g = tf
          .grad((p: tf.Tensor) => loss2d({ keypoints_pred_views: p, keypoints_targ_3d: targ }).loss)(x)
          .dataSync();
        expectAllFinite(g, 'gradient');
        const V = b.cams.length;
        for (let f = 0; f < b.B; f++)
          for (let v = 0; v < V; v++)
            for (let k = 0; k < b.K; k++) {
              const i = ((f * V + v) * b.K + k) * 2;
              if (Number.isNaN(pred[i]) || b.unlabeled[f * b.K + k]) expect([g[i], g[i + 1]], `gradient at (${f}, ${v}, ${k})`).toEqual([0, 0]);
            }
        tf.dispose([x, targ, kp3d]);
      }),
      runs(20),
    );
  });

  it('feeding the float64 triangulation as keypoints_pred_3d gives the same loss as the 2-D path', () => {
    fc.assert(
      fc.property(batchArb, (b) => {
        const pred = predictions(b);
        const V = b.cams.length;
        const P = (V * (V - 1)) / 2;
        const kp = new Float32Array(b.B * P * b.K * 3).fill(NaN);
        for (let f = 0; f < b.B; f++) for (let k = 0; k < b.K; k++) pairsRef(b, pred, f, k).forEach((X, q) => X && kp.set(X, ((f * P + q) * b.K + k) * 3));
        const x = views(b, pred);
        const targ = tf.tensor3d(targets3d(b), [b.B, b.K, 3]);
        const kp3d = tf.tensor4d(kp, [b.B, P, b.K, 3]);
        const a = lossValue(
          createLossOrThrow(
            'supervised_pairwise_projections',
            { predictions: 'keypoints_pred_views' },
            { cameras: b.cams },
          )({ keypoints_pred_views: x, keypoints_targ_3d: targ }),
        );
        const c = lossValue(createLossOrThrow('supervised_pairwise_projections', {})({ keypoints_pred_3d: kp3d, keypoints_targ_3d: targ }));
        tf.dispose([x, targ, kp3d]);
        expect(Math.abs(a - c)).toBeLessThanOrEqual(1e-4 * Math.max(1, c));
      }),
      runs(15),
    );
  });
});

/** Model-input frame and heatmap size the reprojection heatmap loss is built with (the cameras are 1000 × 800 px). */
const SIZES = { original_image_height: 80, original_image_width: 100, downsampled_image_height: 20, downsampled_image_width: 25 };

/** Float64 reprojection (B, V·K, 2): the mean of the pairs' DLTs projected into every view, scaled from the camera's pixels to the model-input frame. */
const reprojectedRef = (b: Batch, pred: Float32Array): Float32Array => {
  const V = b.cams.length;
  const out = new Float32Array(b.B * V * b.K * 2).fill(NaN);
  for (let f = 0; f < b.B; f++)
    for (let k = 0; k < b.K; k++) {
      const X = meanOfPairsRef(pairsRef(b, pred, f, k));
      if (!X) continue;
      b.cams.forEach((c, v) => {
        const [u, w] = projectRef(X, c);
        const i = ((f * V + v) * b.K + k) * 2;
        [out[i], out[i + 1]] = [(u * SIZES.original_image_width) / c.size[0], (w * SIZES.original_image_height) / c.size[1]];
      });
    }
  return out;
};

/** Label heatmaps (B, V·K, h, w): a Gaussian at each view's true projection; unlabeled keypoints all-zero. */
const heatmapTargets = (b: Batch): tf.Tensor => {
  const [h, w] = [SIZES.downsampled_image_height, SIZES.downsampled_image_width];
  const V = b.cams.length;
  const out = new Float32Array(b.B * V * b.K * h * w);
  for (let f = 0; f < b.B; f++)
    b.cams.forEach((c, v) => {
      for (let k = 0; k < b.K; k++) {
        if (b.unlabeled[f * b.K + k]) continue;
        const [u, y] = projectRef(b.points[f * b.K + k], c);
        const [cx, cy] = [(u * w) / c.size[0], (y * h) / c.size[1]];
        const m = ((f * V + v) * b.K + k) * h * w;
        let s = 0;
        for (let i = 0; i < h * w; i++) s += out[m + i] = Math.exp(-(((i % w) - cx) ** 2 + (Math.floor(i / w) - cy) ** 2) / (2 * 1.25 ** 2));
        for (let i = 0; i < h * w; i++) out[m + i] = s > 0 ? out[m + i] / s : 0;
      }
    });
  return tf.tensor4d(out, [b.B, V * b.K, h, w]);
};

describe('supervised_reprojection_heatmap_mse from 2-D predictions (predictions: keypoints_pred_views)', () => {
  it('the same as the reference’s input path fed the float64 reprojection (B, V·K, 2); gradients finite, 0 at missing views', () => {
    fc.assert(
      fc.property(batchArb, (b) => {
        const loss2d = createLossOrThrow('supervised_reprojection_heatmap_mse', { ...SIZES, predictions: 'keypoints_pred_views' }, { cameras: b.cams });
        const lossRef = createLossOrThrow('supervised_reprojection_heatmap_mse', SIZES);
        const pred = predictions(b);
        const x = views(b, pred);
        const ht = heatmapTargets(b);
        const reproj = tf.tensor3d(reprojectedRef(b, pred), [b.B, b.cams.length * b.K, 2]);
        const before = tf.memory().numTensors;
        const got = lossValue(loss2d({ keypoints_pred_views: x, heatmaps_targ: ht }));
        expect(tf.memory().numTensors).toBe(before);
        const want = lossValue(lossRef({ keypoints_pred_2d_reprojected: reproj, heatmaps_targ: ht }));
        if (!(Math.abs(got - want) <= 1e-3 * Math.max(1e-3, want))) expect.fail(`loss ${got}, from the float64 reprojection ${want}`);
        const g = tf
          .grad((p: tf.Tensor) => loss2d({ keypoints_pred_views: p, heatmaps_targ: ht }).loss)(x)
          .dataSync();
        expectAllFinite(g, 'gradient');
        for (let i = 0; i < pred.length; i += 2) if (Number.isNaN(pred[i])) expect([g[i], g[i + 1]], `gradient at missing view entry ${i / 2}`).toEqual([0, 0]);
        tf.dispose([x, ht, reproj]);
      }),
      runs(15),
    );
  });
});

describe('the 2-D variants say what is missing', () => {
  const cams = fc.sample(rigArb({ minV: 3, maxV: 3 }), { numRuns: 1, seed: 5 })[0];

  it('no calibration: the build error names the step and data.camera_params_file', () => {
    const none = createLoss('supervised_pairwise_projections', { predictions: 'keypoints_pred_views' });
    expect(either.isLeft(none) && formatIssues(none.left)).toMatch(
      /^supervised_pairwise_projections\.pipeline\[0\]: triangulate_pairs needs the rig's calibration .*data\.camera_params_file/,
    );
    const heat = createLoss('supervised_reprojection_heatmap_mse', { ...SIZES, predictions: 'keypoints_pred_views' });
    // one error: project_views reads triangulate_pairs' output, so it is not built (its error would repeat the first)
    const heatIssues = either.isLeft(heat) ? heat.left : [];
    expect(heatIssues.map((i) => i.path)).toEqual(['supervised_reprojection_heatmap_mse.pipeline[0]']);
    expect(formatIssues(heatIssues)).toMatch(/triangulate_pairs needs the rig's calibration/);
    const bad = createLoss('supervised_pairwise_projections', { predictions: 'keypoints_pred_2d' } as never);
    expect(either.isLeft(bad) && formatIssues(bad.left)).toMatch(/supervised_pairwise_projections\.predictions: unknown 'keypoints_pred_2d'/);
  });

  it('a view count that does not match the calibration, heatmap targets not flattened over the views', () => {
    const loss = createLossOrThrow('supervised_pairwise_projections', { predictions: 'keypoints_pred_views' }, { cameras: cams });
    expect(() => loss({ keypoints_pred_views: tf.zeros([2, 2, 4, 2]), keypoints_targ_3d: tf.zeros([2, 4, 3]) })).toThrow(
      /triangulate_pairs: keypoints_pred_views \(2,2,4,2\): expected \(B, V, K, 2\) with V = 3 \(the calibration's cameras: cam0, cam1, cam2\)/,
    );
    expect(() => loss({ keypoints_pred_views: tf.zeros([2, 3, 4, 2]), keypoints_targ_3d: tf.zeros([2, 5, 3]) })).toThrow(/keypoints_targ_3d \(2,5,3\)/);
    const heat = createLossOrThrow('supervised_reprojection_heatmap_mse', { ...SIZES, predictions: 'keypoints_pred_views' }, { cameras: cams });
    expect(() => heat({ keypoints_pred_views: tf.zeros([2, 3, 4, 2]), heatmaps_targ: tf.zeros([2, 4, 20, 25]) })).toThrow(/heatmaps_targ \(2,4,20,25\)/);
  });
});

describe('examples/losses/multiview', () => {
  it('pairwise_from_views.yaml, composed from the vocabulary, gives the built-in 2-D variant’s loss', () => {
    const raw = readYaml(path.join(PROJECT_ROOT, 'examples', 'losses', 'multiview', 'pairwise_from_views.yaml'));
    const b = fc.sample(batchArb, { numRuns: 1, seed: 11 })[0];
    const r = either.isRight(raw) ? checkConfig(raw.right, { cameras: b.cams }) : raw;
    if (either.isLeft(r)) expect.fail(formatIssues(r.left));
    const composed = either.isRight(r) ? r.right.losses.find((l) => l.record.name === 'pairwise_from_views')?.loss : undefined;
    expect(composed).toBeDefined();
    const builtin = createLossOrThrow('supervised_pairwise_projections', { log_weight: 0.5, predictions: 'keypoints_pred_views' }, { cameras: b.cams });
    const pred = predictions(b);
    const ins = { keypoints_pred_views: views(b, pred), keypoints_targ_3d: tf.tensor3d(targets3d(b), [b.B, b.K, 3]) };
    const a = composed!(ins);
    const c = builtin(ins);
    expect(a.weighted.dataSync()[0]).toBe(c.weighted.dataSync()[0]);
    expect(a.loss.dataSync()[0]).toBeCloseTo(pairwiseLossRef(b, pred), 4);
    dispose(a);
    dispose(c);
    tf.dispose(Object.values(ins));
  });
});
