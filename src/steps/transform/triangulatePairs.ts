import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import * as t from 'io-ts';
import type { Camera } from '../../config/calibration.js';
import { shapeStr } from '../../config/issues.js';
import { cameraPairs, cameraTensors, disposeCameras } from '../../geometry/cameraTensors.js';
import { triangulatePairsXY } from '../../geometry/pairwise.js';
import { type Point2, pairwiseRef, undistortRef } from '../../geometry/reference.js';
import { dropUntriangulated, splitXY, undistortXY } from '../../geometry/undistort.js';
import { multiviewKernelAvailable, rigOf, triangulatePairsFused } from '../../kernels/multiview.js';
import type { BuiltTransform, StepDef } from '../../pipeline/step.js';
import { resolveKeys, stepCodec } from '../common.js';
import { plain } from '../reference.js';
import { calibrationOf, cameraNames, GEOMETRY_FLOAT32_RANGE, seenByRigCases } from './rig.js';

const codec = stepCodec('transform', 'triangulate_pairs', { of: t.string, as: t.string }, { of: 'keypoints_pred_views', as: 'keypoints_pred_3d_triangulated' });

/**
 * Per-view 2-D points (B, V, K, 2) in pixels → world points (B, P, K, 3), one per camera pair in
 * combinations order ((0,1), (0,2), …, (1,2), …): undistort (OpenCV's 5 steps), then DLT from
 * exactly the pair's two views — the reference's `project_camera_pairs_to_3d`, so its
 * `keypoints_pred_3d` can be made in the pipeline from 2-D predictions and the calibration.
 * A pair with a missing (NaN) view gives NaN (zero gradients there). Differentiable in the points.
 */
export const triangulatePairs: StepDef<t.TypeOf<typeof codec>> = {
  phase: 'transform',
  name: 'triangulate_pairs',
  float32Range: GEOMETRY_FLOAT32_RANGE,
  doc: 'triangulate per-view points (B, V, K, 2) from every camera pair with the calibration: (B, P, K, 3), as the reference’s project_camera_pairs_to_3d',
  codec,
  build: (p, ctx) =>
    either.chain((cameras: readonly Camera[]) =>
      either.map(([of]: string[]): BuiltTransform => {
        const V = cameras.length;
        const P = cameraPairs(V).length;
        // one fused pass (src/kernels/multiview.ts, its `pairs` mode) on the cpu / wasm backends unless fused kernels are off: the tfjs ops below are the reference
        const fast = ctx.fused === false ? null : triangulatePairsFused(rigOf(cameras));
        return {
          phase: 'transform',
          name: 'triangulate_pairs',
          of,
          as: p.as,
          kind: 'points',
          check: (s) =>
            s.length === 4 && s[3] === 2 && s[1] === V
              ? null
              : `triangulate_pairs: ${of} ${shapeStr(s)}: expected (B, V, K, 2) with V = ${V} (the calibration's cameras: ${cameraNames(cameras)})`,
          outShape: (s) => [s[0], P, s[2], 3],
          apply: (pts) =>
            tf.tidy(() => {
              if (fast && multiviewKernelAvailable()) return fast(pts);
              // the calibration's few small tensors made and disposed per call: a call leaves the tensor count as it found it
              const cams = cameraTensors(cameras);
              try {
                const [u, v] = dropUntriangulated(...splitXY(pts));
                const [x, y] = undistortXY(u, v, cams);
                const { X, Y, Z } = triangulatePairsXY(x, y, cams);
                return tf.stack([X, Y, Z], -1);
              } finally {
                disposeCameras(cams);
              }
            }),
        };
      })(resolveKeys(p.of, ctx, 'triangulate_pairs', 1, ['points'])),
    )(calibrationOf(ctx, 'triangulate_pairs')),
  reference: {
    phase: 'transform',
    // a synthetic rig of V cameras, points seen by every camera with a little noise (the case's rig is what the step is built with)
    cases: (fc, opts = {}) => {
      const spec = fc.constant(opts.spec ?? { transform: 'triangulate_pairs', of: 'keypoints_pred_views', as: 'keypoints_pred_3d_triangulated' });
      return seenByRigCases(fc, spec, opts);
    },
    apply: (_p, x, cameras) => {
      if (!cameras) throw new Error('triangulate_pairs: the reference needs the case’s cameras');
      const [B, V, K] = x.shape;
      const P = cameraPairs(V).length;
      const out = new Float64Array(B * P * K * 3).fill(NaN);
      for (let b = 0; b < B; b++)
        for (let k = 0; k < K; k++) {
          const at = (v: number) => ((b * V + v) * K + k) * 2;
          const seen = cameras.map((cam, v): Point2 => undistortRef([x.data[at(v)], x.data[at(v) + 1]], cam));
          pairwiseRef(seen, cameras).forEach((X, q) => {
            if (X) out.set(X, ((b * P + q) * K + k) * 3);
          });
        }
      return { out: plain([B, P, K, 3], out), kinks: [] };
    },
  },
};
