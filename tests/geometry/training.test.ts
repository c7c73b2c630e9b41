import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { type Point3, projectRef } from '../../src/geometry/reference.js';
import { createLossOrThrow } from '../../src/index.js';
import { cams, detect, errorToTruth, K, rng, trainOffsets, V } from './trainingRig.js';

/**
 * Training with the multi-camera losses alone, on unlabeled synthetic frames: 3 calibrated
 * cameras see a 4-keypoint body; each view's detector has a systematic offset per keypoint
 * (±4 px, as a detector biased by a view's appearance) plus 0.5 px noise. The model corrects
 * each (view, keypoint) by a learned offset (24 numbers, initialised to 0), trained on 64
 * unlabeled frames; on 48 held-out frames the reprojection error falls, and so does the error
 * to the truth (the part of the bias the views disagree on is removed; a bias the views agree
 * on — a 3-D shift of the keypoint — is invisible to any multi-view loss).
 */
/** Frames of the body (a rigid 4-point shape, randomly placed and turned) seen by every view: truth and noisy detections, (N, V, K, 2). */
const frames = (n: number, seed: number) => {
  const r = rng(seed);
  const shape: Point3[] = [
    [0, 0, 0],
    [0.4, 0, 0],
    [0, 0.3, 0],
    [0, 0, 0.35],
  ];
  const truth = new Float32Array(n * V * K * 2);
  const noisy = new Float32Array(n * V * K * 2);
  for (let f = 0; f < n; f++) {
    const c = [r() - 0.5, r() - 0.5, r() - 0.5].map((x) => x * 0.8);
    const a = (r() - 0.5) * 1.2;
    const pts = shape.map(([x, y, z]) => [c[0] + Math.cos(a) * x - Math.sin(a) * z, c[1] + y, c[2] + Math.sin(a) * x + Math.cos(a) * z] as Point3);
    cams.forEach((cam, v) =>
      pts.forEach((p, k) => {
        const uv = projectRef(p, cam);
        const o = ((f * V + v) * K + k) * 2;
        truth.set(uv, o);
        noisy.set(detect(uv, v, k, r), o);
      }),
    );
  }
  return { truth: tf.tensor4d(truth, [n, V, K, 2]), noisy: tf.tensor4d(noisy, [n, V, K, 2]) };
};

describe.each(['cycle_reprojection', 'triangulation_residual'])('training with %s', (name) => {
  it('lowers the held-out reprojection error, and the error to the truth', async () => {
    const unsup = createLossOrThrow(name, {}, { cameras: cams });
    const residual = createLossOrThrow('triangulation_residual', {}, { cameras: cams }); // the held-out measure
    const unlabeled = frames(64, 2);
    const heldOut = frames(48, 3);
    const { before, after } = trainOffsets(
      (model) => unsup({ keypoints_pred_views: model(unlabeled.noisy) } as never).loss as tf.Scalar,
      (model) => {
        const p = model(heldOut.noisy);
        const reproj = residual({ keypoints_pred_views: p } as never).loss.dataSync()[0];
        return { reproj, truthErr: errorToTruth(p, heldOut.truth) };
      },
    );
    console.log(
      `${name}: held-out reprojection error ${before.reproj.toFixed(3)} → ${after.reproj.toFixed(3)} px; error to the truth ${before.truthErr.toFixed(3)} → ${after.truthErr.toFixed(3)} px`,
    );
    expect(after.reproj).toBeLessThan(0.5 * before.reproj);
    expect(after.truthErr).toBeLessThan(0.9 * before.truthErr);
    tf.dispose([unlabeled.truth, unlabeled.noisy, heldOut.truth, heldOut.noisy]);
  });
});
