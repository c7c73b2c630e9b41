import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import type { Point2 } from '../../src/geometry/reference.js';
import { rigArb } from './rig.js';

/**
 * The training tests' rig and detector: 3 calibrated cameras see 4 keypoints; each view's
 * detector has a systematic offset per keypoint (±4 px, as a detector biased by a view's
 * appearance) plus 0.5 px noise. The model (trainOffsets) corrects each (view, keypoint) by a
 * learned offset (24 numbers, initialised to 0).
 */
export const V = 3;
export const K = 4;
export const cams = fc.sample(rigArb({ minV: V, maxV: V }), { numRuns: 1, seed: 7 })[0];

/** A seeded uniform [0, 1) generator (LCG). */
export const rng = (seed: number) => () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
const biasRng = rng(99);
const bias = Array.from({ length: V * K * 2 }, () => (biasRng() - 0.5) * 8);

/** View v's detection of keypoint k at the true pixel `uv`: its offset plus 0.5 px gaussian noise drawn from r (u first). */
export const detect = (uv: Point2, v: number, k: number, r: () => number): [number, number] => [
  uv[0] + bias[(v * K + k) * 2] + 0.5 * gauss(r),
  uv[1] + bias[(v * K + k) * 2 + 1] + 0.5 * gauss(r),
];

/**
 * Trains the model — (N, V, K, 2) detections plus a learned offset per (view, keypoint),
 * initialised to 0 — by 80 Adam steps (learning rate 0.1) on `objective`; `measure`s it (in a
 * tidy) before and after.
 */
export const trainOffsets = <M extends Record<string, number>>(
  objective: (model: (x: tf.Tensor) => tf.Tensor) => tf.Scalar,
  measure: (model: (x: tf.Tensor) => tf.Tensor) => M,
): { before: M; after: M } => {
  const offset = tf.variable(tf.zeros([1, V, K, 2]));
  const model = (x: tf.Tensor) => x.add(offset);
  const measured = () => tf.tidy(() => measure(model));
  const before = measured();
  const opt = tf.train.adam(0.1);
  for (let step = 0; step < 80; step++) opt.minimize(() => objective(model));
  const after = measured();
  offset.dispose();
  opt.dispose();
  return { before, after };
};

/** The mean 2-D distance (px) between points and the truth, (N, V, K, 2) each. */
export const errorToTruth = (p: tf.Tensor, truth: tf.Tensor): number => p.sub(truth).square().sum(-1).sqrt().mean().dataSync()[0];
