import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { type Point3, projectRef } from '../../src/geometry/reference.js';
import { createLossOrThrow } from '../../src/index.js';
import { cams, detect, errorToTruth, K, rng, trainOffsets, V } from './trainingRig.js';

/**
 * Training with supervised_pairwise_projections from 2-D predictions (predictions:
 * keypoints_pred_views) alone: 3 calibrated cameras see 4 keypoints with 3-D labels; each view's
 * detector has a systematic offset per keypoint (±4 px) plus 0.5 px noise. The model corrects
 * each (view, keypoint) by a learned offset (24 numbers, initialised to 0), trained on 32 labeled
 * frames; on 32 held-out frames the 3-D error of the pairs' triangulations and the 2-D error to
 * the truth fall (3-D labels pin down the whole bias, not only the part the views disagree on).
 */
/** n frames: 3-D labels (n, K, 3), true and detected 2-D points (n, V, K, 2). */
const frames = (n: number, seed: number) => {
  const r = rng(seed);
  const points = new Float32Array(n * K * 3);
  const truth = new Float32Array(n * V * K * 2);
  const noisy = new Float32Array(n * V * K * 2);
  for (let f = 0; f < n; f++)
    for (let k = 0; k < K; k++) {
      const p: Point3 = [r() - 0.5, r() - 0.5, r() - 0.5];
      points.set(p, (f * K + k) * 3);
      cams.forEach((cam, v) => {
        const uv = projectRef(p, cam);
        const o = ((f * V + v) * K + k) * 2;
        truth.set(uv, o);
        noisy.set(detect(uv, v, k, r), o);
      });
    }
  return { targ: tf.tensor3d(points, [n, K, 3]), truth: tf.tensor4d(truth, [n, V, K, 2]), noisy: tf.tensor4d(noisy, [n, V, K, 2]) };
};

describe('training with supervised_pairwise_projections from 2-D predictions', () => {
  it('lowers the held-out 3-D error and the 2-D error to the truth', () => {
    const loss = createLossOrThrow('supervised_pairwise_projections', { predictions: 'keypoints_pred_views' }, { cameras: cams });
    const labeled = frames(32, 2);
    const heldOut = frames(32, 3);
    const { before, after } = trainOffsets(
      (model) => loss({ keypoints_pred_views: model(labeled.noisy), keypoints_targ_3d: labeled.targ }).loss as tf.Scalar,
      (model) => {
        const p = model(heldOut.noisy);
        const err3d = loss({ keypoints_pred_views: p, keypoints_targ_3d: heldOut.targ }).loss.dataSync()[0];
        return { err3d, err2d: errorToTruth(p, heldOut.truth) };
      },
    );
    console.log(
      `supervised_pairwise_projections (2-D): held-out 3-D error ${before.err3d.toFixed(4)} → ${after.err3d.toFixed(4)} units; 2-D error to the truth ${before.err2d.toFixed(3)} → ${after.err2d.toFixed(3)} px`,
    );
    expect(after.err3d).toBeLessThan(0.5 * before.err3d);
    expect(after.err2d).toBeLessThan(0.5 * before.err2d);
    tf.dispose([...Object.values(labeled), ...Object.values(heldOut)]);
  });
});
