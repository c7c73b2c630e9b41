import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import * as t from 'io-ts';
import type { Camera } from '../../config/calibration.js';
import { nullable, oneOf, positive } from '../../config/codecs.js';
import { shapeStr } from '../../config/issues.js';
import { cameraTensors, disposeCameras } from '../../geometry/cameraTensors.js';
import { meanOfPairsXYZ, medianOfPairsXYZ } from '../../geometry/pairwise.js';
import { projectXYZ } from '../../geometry/project.js';
import { meanOfPairsRef, medianOfPairsRef, type Point3, projectRef } from '../../geometry/reference.js';
import { isInputKey } from '../../pipeline/keys.js';
import type { BuiltTransform, Kinks, StepDef } from '../../pipeline/step.js';
import { resolveKeys, stepCodec } from '../common.js';
import { dimsOf, num, plain } from '../reference.js';
import { calibrationOf, rigArb } from './rig.js';

/** How pair estimates (B, P, K, 3) become one point per keypoint; `none`: the input is one point per keypoint already (B, K, 3). */
export const PAIR_COMBINES = ['mean', 'median', 'none'] as const;

const codec = stepCodec(
  'transform',
  'project_views',
  { of: t.string, as: t.string, pairs: oneOf(PAIR_COMBINES, 'pairs'), image_height: nullable(positive), image_width: nullable(positive) },
  { of: 'keypoints_pred_3d_triangulated', as: 'keypoints_views_reprojected_flat', pairs: 'mean', image_height: null, image_width: null },
);
type P = t.TypeOf<typeof codec>;

/** Per view, the factor from the camera's pixels to the model-input frame (1 where no size is given). */
const scales = (p: P, cameras: readonly Camera[]): { sx: number[]; sy: number[] } => ({
  sx: cameras.map((c) => (p.image_width === null ? 1 : p.image_width / c.size[0])),
  sy: cameras.map((c) => (p.image_height === null ? 1 : p.image_height / c.size[1])),
});

/**
 * World points → their projections into every view of the calibration, views flattened
 * view-major: (B, V·K, 2), as the reference's multi-view model hands `keypoints_pred_2d_reprojected`
 * to supervised_reprojection_heatmap_mse. The input is camera-pair estimates (B, P, K, 3) combined
 * per keypoint by `pairs` — `mean` (the reference's torch.mean over the pairs; pairs with a NaN
 * are left out, the same on finite input), `median` (NaN-ignoring) — or one point per keypoint
 * (B, K, 3) with `pairs: none`. Projection with distortion; with `image_height` / `image_width`
 * each view's pixels are scaled from the camera's `size` to that frame (the reference's
 * convert_original_to_model_coords for a full-frame box). A point without an estimate → NaN
 * (zero gradients). Differentiable in the points.
 */
export const projectViews: StepDef<P> = {
  phase: 'transform',
  name: 'project_views',
  doc: 'project world points (B, P, K, 3) — the mean or median of the camera pairs — or (B, K, 3) into every view of the calibration: (B, V·K, 2)',
  codec,
  build: (p, ctx) =>
    either.chain((cameras: readonly Camera[]) =>
      either.map(([of]: string[]): BuiltTransform => {
        const V = cameras.length;
        const { sx, sy } = scales(p, cameras);
        const rank = p.pairs === 'none' ? 3 : 4;
        return {
          phase: 'transform',
          name: 'project_views',
          of,
          as: p.as,
          kind: 'points',
          check: (s) =>
            s.length === rank && s[rank - 1] === 3
              ? null
              : `project_views: ${of} ${shapeStr(s)}: expected ${rank === 4 ? `(B, P, K, 3) (camera-pair estimates, pairs: ${p.pairs})` : '(B, K, 3) (pairs: none)'}`,
          outShape: (s) => [s[0], V * s[rank - 2], 2],
          apply: (pts) =>
            tf.tidy(() => {
              const cams = cameraTensors(cameras);
              try {
                let [X, Y, Z] = tf.unstack(pts, -1);
                if (p.pairs === 'mean') [X, Y, Z] = meanOfPairsXYZ(X, Y, Z);
                else if (p.pairs === 'median') [X, Y, Z] = medianOfPairsXYZ(X, Y, Z);
                const [u, v] = projectXYZ(X, Y, Z, cams); // (B, V, K)
                const su = p.image_width === null ? u : u.mul(tf.tensor2d(sx, [V, 1]));
                const sv = p.image_height === null ? v : v.mul(tf.tensor2d(sy, [V, 1]));
                const [B, , K] = u.shape;
                return tf.stack([su, sv], -1).reshape([B, V * K, 2]);
              } finally {
                disposeCameras(cams);
              }
            }),
        };
      })(resolveKeys(p.of, ctx, 'project_views', 1, ['points'])),
    )(calibrationOf(ctx, 'project_views')),
  reference: {
    phase: 'transform',
    // a synthetic rig looking at points near the origin; in a pipeline whose earlier step makes `of`, that step draws the inputs and the rig
    cases: (fc, opts = {}) => {
      const spec = opts.spec
        ? fc.constant(opts.spec)
        : fc.record({ pairs: fc.constantFrom(...PAIR_COMBINES), size: fc.constantFrom(null, [256, 320]) }).map(({ pairs, size }) => ({
            transform: 'project_views',
            of: pairs === 'none' ? 'keypoints_targ_3d' : 'keypoints_pred_3d',
            as: 'keypoints_views_reprojected_flat',
            pairs,
            image_height: size?.[0] ?? null,
            image_width: size?.[1] ?? null,
          }));
      return fc.tuple(spec, dimsOf(fc, opts)).chain(([s, { B, P, V, K }]) => {
        const of = String(s.of);
        if (!isInputKey(of)) return fc.constant({ spec: s, inputs: {} });
        const shape = s.pairs === 'none' ? [B, K, 3] : [B, P, K, 3];
        const n = shape.reduce((a, b) => a * b, 1);
        return fc
          .tuple(rigArb(fc, V), fc.array(num(fc, -1, 1), { minLength: n, maxLength: n }))
          .map(([cameras, xs]) => ({ spec: s, inputs: { [of]: plain(shape, Float32Array.from(xs)) }, cameras }));
      });
    },
    apply: (p, x, cameras) => {
      if (!cameras) throw new Error('project_views: the reference needs the case’s cameras');
      const V = cameras.length;
      const [B, Q, K] = p.pairs === 'none' ? [x.shape[0], 1, x.shape[1]] : x.shape;
      const { sx, sy } = scales(p, cameras);
      const out = new Float64Array(B * V * K * 2);
      const kinks: Kinks = [];
      for (let b = 0; b < B; b++)
        for (let k = 0; k < K; k++) {
          const pairs = Array.from({ length: Q }, (_, q): Point3 | null => {
            const i = ((b * Q + q) * K + k) * 3;
            const X: Point3 = [x.data[i], x.data[i + 1], x.data[i + 2]];
            return X.every(Number.isFinite) ? X : null;
          });
          // the median changes branch where two pair estimates swap order
          if (p.pairs === 'median')
            for (let c = 0; c < 3; c++) pairs.forEach((q, i) => pairs.slice(i + 1).forEach((r) => q && r && kinks.push([q[c] - r[c], 0])));
          const X = p.pairs === 'median' ? medianOfPairsRef(pairs) : meanOfPairsRef(pairs);
          cameras.forEach((cam, v) => {
            const [u, w] = X ? projectRef(X, cam) : [NaN, NaN];
            const i = ((b * V + v) * K + k) * 2;
            [out[i], out[i + 1]] = [u * sx[v], w * sy[v]];
          });
        }
      return { out: plain([B, V * K, 2], out), kinks };
    },
  },
};
