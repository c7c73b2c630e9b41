import * as tf from '@tensorflow/tfjs';
import type { Camera } from '../config/calibration.js';
import { projectRef } from '../geometry/reference.js';
import { heatmapRenderer } from '../steps/transform/render.js';
import { rng } from './random.js';

export interface ExampleBatch {
  readonly frames: number;
  readonly keypoints: number;
  readonly labels: { data: Float64Array; rows: number; cols: number };
  readonly inputs: Record<string, tf.Tensor>;
  /** A 3-camera rig for the multi-camera losses (`keypoints_pred_views`, `confidences_views`). */
  readonly cameras: readonly Camera[];
}

/** Three cameras 8 units from the origin, turned −0.4, 0, 0.4 rad about y, mild barrel distortion. */
const RIG: readonly Camera[] = [-0.4, 0, 0.4].map((yaw, i) => ({
  name: `cam${i}`,
  size: [256, 256],
  matrix: [
    [1000, 0, 128],
    [0, 1000, 128],
    [0, 0, 1],
  ],
  distortions: [-0.1, 0, 0, 0, 0],
  rotation: [0, yaw, 0],
  translation: [0, 0, 8],
}));

/**
 * A deterministic synthetic batch like a real one: K keypoints on a body that moves
 * smoothly (random walk of a low-dimensional pose), targets with 2 keypoints unlabeled per
 * frame (NaN coordinates, all-zero heatmaps), predictions = targets + noise, Gaussian
 * heatmaps rendered by the same step the reprojection loss uses, confidences in [0, 1].
 */
export const exampleBatch = (seed = 0, frames = 8, keypoints = 17, image = 256, heatmap = 64): ExampleBatch => {
  const r = rng(seed);
  const basis = Array.from({ length: 3 }, () => Array.from({ length: 2 * keypoints }, () => r.normal() * 20));
  const mean = Array.from({ length: 2 * keypoints }, () => image / 2 + (r.next() - 0.5) * image * 0.5);
  const pose = (z: number[]) => mean.map((m, j) => m + z.reduce((s, zi, i) => s + zi * basis[i][j], 0));
  const fit = new Float64Array(200 * 2 * keypoints);
  for (let f = 0; f < 200; f++)
    fit.set(
      pose([r.normal(), r.normal(), r.normal()]).map((v) => v + r.normal()),
      f * 2 * keypoints,
    );
  let z = [0, 0, 0];
  const targ: number[] = [];
  const pred: number[] = [];
  const conf: number[] = [];
  for (let f = 0; f < frames; f++) {
    z = z.map((v) => v + r.normal() * 0.3);
    const p = pose(z);
    const missing = new Set([Math.floor(r.next() * keypoints), Math.floor(r.next() * keypoints)]);
    p.forEach((v, j) => {
      targ.push(missing.has(j >> 1) ? NaN : v);
      pred.push(v + r.normal() * 3);
    });
    for (let k = 0; k < keypoints; k++) conf.push(r.next());
  }
  const apply = heatmapRenderer({ height: image, width: image }, { height: heatmap, width: heatmap });
  const inputs: Record<string, tf.Tensor> = tf.tidy(() => {
    const kt = tf.tensor2d(targ, [frames, 2 * keypoints]);
    const kp = tf.tensor2d(pred, [frames, 2 * keypoints]);
    return {
      keypoints_targ: kt,
      keypoints_pred: kp,
      heatmaps_targ: apply(kt.reshape([frames, keypoints, 2])),
      heatmaps_pred: apply(kp.reshape([frames, keypoints, 2])),
      confidences: tf.tensor2d(conf, [frames, keypoints]),
      keypoints_pred_2d_reprojected: kp.reshape([frames, keypoints, 2]),
    };
  });
  // the labeled poses lifted to 3-D (depth from the keypoint index) and seen by every camera, 2 px noise (unlabeled → NaN)
  const views: number[] = [];
  const viewConf: number[] = [];
  for (let f = 0; f < frames; f++)
    RIG.forEach((cam) => {
      for (let k = 0; k < keypoints; k++) {
        const [u, v] = projectRef(
          [(targ[f * 2 * keypoints + 2 * k] - image / 2) / 400, (targ[f * 2 * keypoints + 2 * k + 1] - image / 2) / 400, 0.1 * Math.sin(k)],
          cam,
        );
        views.push(u + r.normal() * 2, v + r.normal() * 2);
        viewConf.push(r.next());
      }
    });
  inputs.keypoints_pred_views = tf.tensor4d(views, [frames, RIG.length, keypoints, 2]);
  inputs.confidences_views = tf.tensor3d(viewConf, [frames, RIG.length, keypoints]);
  return { frames, keypoints, labels: { data: fit, rows: 200, cols: 2 * keypoints }, inputs, cameras: RIG };
};
