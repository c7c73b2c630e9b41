import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { either } from 'fp-ts';
import type { StepDef, BuiltTransform } from '../../pipeline/step.js';
import { inRange, nullable, oneOf } from '../../config/codecs.js';
import { issue, shapeStr } from '../../config/issues.js';
import type { Camera } from '../../config/calibration.js';
import { cameraTensorList, cameraTensors, disposeCameras, type CameraTensors } from '../../geometry/cameraTensors.js';
import { splitXY, undistortXY } from '../../geometry/undistort.js';
import { triangulateXY } from '../../geometry/triangulate.js';
import { medianOfPairsXYZ, triangulatePairsXY } from '../../geometry/pairwise.js';
import { projectXYZ } from '../../geometry/project.js';
import { stepCodec, resolveKeys } from '../common.js';

export const TRIANGULATIONS = ['dlt', 'pairwise_median'] as const;

const codec = stepCodec(
  'transform',
  'reproject_views',
  { of: t.string, as: t.string, triangulation: oneOf(TRIANGULATIONS, 'triangulation'), confidences: nullable(t.string), below: inRange(0, 1) },
  { of: 'keypoints_pred_views', as: 'keypoints_views_reprojected', triangulation: 'dlt', confidences: 'confidences_views', below: 0 },
);

/**
 * Per-view 2-D points (B, V, K, 2) in pixels → the same points triangulated and reprojected
 * into every view (B, V, K, 2), with the calibration the loss is built with (views in its
 * order): undistort (OpenCV's 5 steps), triangulate — `dlt` over all views, or
 * `pairwise_median`: every camera pair, then the NaN-ignoring median of the pair estimates —
 * and project with distortion. A view is left out of the triangulation where its point is NaN
 * or its confidence (the optional `confidences` key, (B, V, K)) is below `below`; fewer than 2
 * views (or no pair) → NaN. Differentiable in the points, NaN-safe (zero gradients at missing views).
 */
export const reprojectViews: StepDef<t.TypeOf<typeof codec>> = {
  phase: 'transform',
  name: 'reproject_views',
  doc: 'triangulate per-view points (B, V, K, 2) with the calibration (all-view DLT or the median of camera pairs) and reproject them into every view',
  codec,
  build: (p, ctx) => {
    if (!ctx.cameras || ctx.cameras.length < 2)
      return either.left([
        issue(ctx.path, `reproject_views needs the rig's calibration (2 or more cameras): set data.camera_params_file (an anipose calibration.toml), or pass { cameras } when building ${ctx.loss}`),
      ]);
    const cameras: readonly Camera[] = ctx.cameras;
    const V = cameras.length;
    const withKeys = p.confidences ? [p.confidences] : [];
    // the calibration as tensors, made on first use (per backend) and kept with the loss: constants, not per-call allocations
    let cache: { backend: string; cams: CameraTensors } | null = null;
    const camerasNow = (): CameraTensors => {
      const backend = tf.getBackend();
      if (cache?.backend !== backend) {
        if (cache) disposeCameras(cache.cams);
        const cams = cameraTensors(cameras);
        cameraTensorList(cams).forEach((x) => tf.keep(x));
        cache = { backend, cams };
      }
      return cache.cams;
    };
    return either.map(([of]: string[]): BuiltTransform => ({
      phase: 'transform',
      name: 'reproject_views',
      of,
      as: p.as,
      kind: 'points',
      with: withKeys,
      check: (s, w) => {
        if (s.length !== 4 || s[3] !== 2 || s[1] !== V) return `reproject_views: ${of} ${shapeStr(s)}: expected (B, V, K, 2) with V = ${V} (the calibration's cameras: ${cameras.map((c) => c.name).join(', ')})`;
        const c = w?.[0];
        if (c && (c.length !== 3 || c[0] !== s[0] || c[1] !== s[1] || c[2] !== s[2])) return `reproject_views: ${p.confidences} ${shapeStr(c)} does not match ${of} ${shapeStr(s)}: expected (B, V, K)`;
        return null;
      },
      outShape: (s) => [...s],
      apply: (pts, w) =>
        tf.tidy(() => {
          const cams = camerasNow();
          let [u, v] = splitXY(pts);
          const conf = w?.[0];
          if (conf && p.below > 0) {
            const low = conf.less(p.below); // a NaN confidence is not below (as low_confidence)
            const nan = tf.fill(u.shape, NaN);
            u = tf.where(low, nan, u);
            v = tf.where(low, nan, v);
          }
          const [x, y] = undistortXY(u, v, cams);
          let X: tf.Tensor, Y: tf.Tensor, Z: tf.Tensor;
          if (p.triangulation === 'dlt') ({ X, Y, Z } = triangulateXY(x, y, cams));
          else {
            const pr = triangulatePairsXY(x, y, cams);
            [X, Y, Z] = medianOfPairsXYZ(pr.X, pr.Y, pr.Z);
          }
          const [ru, rv] = projectXYZ(X, Y, Z, cams);
          return tf.stack([ru, rv], -1);
        }),
    }))(resolveKeys(p.of, ctx, 'reproject_views', 1, ['points']));
  },
};
