import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import * as t from 'io-ts';
import type { Camera } from '../../config/calibration.js';
import { inRange, nullable, oneOf } from '../../config/codecs.js';
import { shapeStr } from '../../config/issues.js';
import { cameraTensors, disposeCameras } from '../../geometry/cameraTensors.js';
import { medianOfPairsXYZ, triangulatePairsXY } from '../../geometry/pairwise.js';
import { projectXYZ } from '../../geometry/project.js';
import { medianOfPairsRef, type Point2, type Point3, pairwiseRef, projectRef, triangulateRef, undistortRef } from '../../geometry/reference.js';
import { triangulateXY } from '../../geometry/triangulate.js';
import { dropUntriangulated, splitXY, undistortXY } from '../../geometry/undistort.js';
import { multiviewKernelAvailable, reprojectViewsFused, rigOf } from '../../kernels/multiview.js';
import type { BuiltTransform, Kinks, StepDef } from '../../pipeline/step.js';
import { resolveKeys, stepCodec } from '../common.js';
import { plain } from '../reference.js';
import { calibrationOf, cameraNames, GEOMETRY_FLOAT32_RANGE, seenByRigCases } from './rig.js';

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
  float32Range: GEOMETRY_FLOAT32_RANGE,
  doc: 'triangulate per-view points (B, V, K, 2) with the calibration (all-view DLT or the median of camera pairs) and reproject them into every view',
  codec,
  build: (p, ctx) => {
    const calibration = calibrationOf(ctx, 'reproject_views');
    if (either.isLeft(calibration)) return calibration;
    const cameras: readonly Camera[] = calibration.right;
    const V = cameras.length;
    const withKeys = p.confidences ? [p.confidences] : [];
    // one fused pass (src/kernels/multiview.ts) on the cpu / wasm backends unless fused kernels are off: the tfjs ops below are the reference
    const rig = rigOf(cameras);
    const fast = ctx.fused === false ? null : reprojectViewsFused(rig, p.triangulation, p.below);
    return either.map(
      ([of]: string[]): BuiltTransform => ({
        phase: 'transform',
        name: 'reproject_views',
        of,
        as: p.as,
        kind: 'points',
        with: withKeys,
        check: (s, w) => {
          if (s.length !== 4 || s[3] !== 2 || s[1] !== V)
            return `reproject_views: ${of} ${shapeStr(s)}: expected (B, V, K, 2) with V = ${V} (the calibration's cameras: ${cameraNames(cameras)})`;
          const c = w?.[0];
          if (c && (c.length !== 3 || c[0] !== s[0] || c[1] !== s[1] || c[2] !== s[2]))
            return `reproject_views: ${p.confidences} ${shapeStr(c)} does not match ${of} ${shapeStr(s)}: expected (B, V, K)`;
          return null;
        },
        outShape: (s) => [...s],
        fusion: { op: 'reproject_views', params: { below: p.below, pairwise_median: p.triangulation === 'pairwise_median' ? 1 : 0 }, data: rig },
        apply: (pts, w) =>
          tf.tidy(() => {
            if (fast && multiviewKernelAvailable()) return fast(pts, w?.[0]);
            // the calibration's few small tensors (and the layouts derived from them) made and disposed per call: a call leaves the tensor count as it found it
            const cams = cameraTensors(cameras);
            try {
              let [u, v] = splitXY(pts);
              const conf = w?.[0];
              if (conf && p.below > 0) {
                const low = conf.less(p.below); // a NaN confidence is not below (as low_confidence)
                const nan = tf.fill(u.shape, NaN);
                u = tf.where(low, nan, u);
                v = tf.where(low, nan, v);
              }
              [u, v] = dropUntriangulated(u, v);
              const [x, y] = undistortXY(u, v, cams);
              let X: tf.Tensor, Y: tf.Tensor, Z: tf.Tensor;
              if (p.triangulation === 'dlt') ({ X, Y, Z } = triangulateXY(x, y, cams));
              else {
                const pr = triangulatePairsXY(x, y, cams);
                [X, Y, Z] = medianOfPairsXYZ(pr.X, pr.Y, pr.Z);
              }
              const [ru, rv] = projectXYZ(X, Y, Z, cams);
              return tf.stack([ru, rv], -1);
            } finally {
              disposeCameras(cams);
            }
          }),
      }),
    )(resolveKeys(p.of, ctx, 'reproject_views', 1, ['points']));
  },
  reference: {
    phase: 'transform',
    // a synthetic rig of V cameras, points seen by every camera with a little noise (the case's rig is what the step is built with)
    cases: (fc, opts = {}) => {
      const spec = opts.spec
        ? fc.constant(opts.spec)
        : fc.record({ triangulation: fc.constantFrom(...TRIANGULATIONS), below: fc.constantFrom(0, 0.3) }).map((g) => ({
            transform: 'reproject_views',
            of: 'keypoints_pred_views',
            as: 'keypoints_views_reprojected',
            confidences: 'confidences_views',
            ...g,
          }));
      return seenByRigCases(fc, spec, opts);
    },
    apply: (p, x, cameras) => {
      if (!cameras) throw new Error('reproject_views: the reference needs the case’s cameras');
      const [B, V, K] = x.shape;
      const out = new Float64Array(B * V * K * 2);
      const kinks: Kinks = [];
      for (let b = 0; b < B; b++)
        for (let k = 0; k < K; k++) {
          const at = (v: number) => ((b * V + v) * K + k) * 2;
          const seen = cameras.map((cam, v): Point2 => undistortRef([x.data[at(v)], x.data[at(v) + 1]], cam));
          let X: Point3 | null;
          if (p.triangulation === 'dlt') X = triangulateRef(seen, cameras);
          else {
            const pairs = pairwiseRef(seen, cameras);
            // the median changes branch where two pair estimates swap order
            for (let c = 0; c < 3; c++) pairs.forEach((q, i) => pairs.slice(i + 1).forEach((r) => q && r && kinks.push([q[c], r[c]])));
            X = medianOfPairsRef(pairs);
          }
          cameras.forEach((cam, v) => {
            const [u, w] = X ? projectRef(X, cam) : [NaN, NaN];
            [out[at(v)], out[at(v) + 1]] = [u, w];
          });
        }
      return { out: plain([B, V, K, 2], out), kinks };
    },
  },
};
