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
import { jsKernelsAvailable, reprojectViewsFused, rigOf } from '../../kernels/multiview.js';
import { confidenceArb, arrayArb, dimsOf, num, plain } from '../reference.js';
import { medianOfPairsRef, pairwiseRef, projectRef, triangulateRef, undistortRef, type Point2, type Point3 } from '../../geometry/reference.js';
import type { Arbitrary, FastCheck, Kinks, Plain, StepSpec } from '../../pipeline/step.js';

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
    // one fused pass (src/kernels/multiview.ts) on the cpu / wasm backends unless fused kernels are off: the tfjs ops below are the reference
    const rig = rigOf(cameras);
    const fast = ctx.fused === false ? null : reprojectViewsFused(rig, p.triangulation, p.below);
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
      fusion: { op: 'reproject_views', params: { below: p.below, pairwise_median: p.triangulation === 'pairwise_median' ? 1 : 0 }, data: rig },
      apply: (pts, w) =>
        tf.tidy(() => {
          if (fast && jsKernelsAvailable()) return fast(pts, w?.[0]);
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
  reference: {
    phase: 'transform',
    cases: (fc, opts = {}) => {
      const spec: Arbitrary<StepSpec> = opts.spec
        ? fc.constant(opts.spec)
        : fc
            .record({ triangulation: fc.constantFrom(...TRIANGULATIONS), below: fc.constantFrom(0, 0.05) })
            .map((g) => ({ transform: 'reproject_views', of: 'keypoints_pred_views', as: 'keypoints_views_reprojected', confidences: 'confidences_views', ...g }));
      return fc.tuple(spec, dimsOf(fc, opts)).chain(([s, { B, K, V }]) =>
        fc
          .tuple(
            rigArb(fc, V),
            fc.array(fc.tuple(num(fc, -1, 1), num(fc, -1, 1), num(fc, -1, 1)), { minLength: B * K, maxLength: B * K }),
            // pixel noise, or a missing view (NaN) now and then
            fc.array(fc.oneof({ weight: 9, arbitrary: fc.tuple(num(fc, -3, 3), num(fc, -3, 3)) }, { weight: 1, arbitrary: fc.constant([NaN, NaN] as [number, number]) }), { minLength: B * V * K, maxLength: B * V * K }),
            arrayArb(fc, [B, V, K], confidenceArb(fc)),
          )
          .map(([cameras, pts, noise, conf]) => {
            const x = new Float32Array(B * V * K * 2);
            for (let b = 0; b < B; b++)
              for (let v = 0; v < V; v++)
                for (let k = 0; k < K; k++) {
                  const e = (b * V + v) * K + k;
                  const [u, w] = projectRef(pts[b * K + k], cameras[v]);
                  x[2 * e] = u + noise[e][0];
                  x[2 * e + 1] = w + noise[e][1];
                }
            const inputs: Record<string, Plain> = { [String(s.of)]: plain([B, V, K, 2], x) };
            if (typeof s.confidences === 'string') inputs[s.confidences] = conf;
            return { spec: s, inputs, cameras };
          }),
      );
    },
    // float64, one point at a time: OpenCV's undistortion, DLT by SVD or the median of the pairs' DLTs, projection
    apply: (p, x, cameras) => {
      if (!cameras) throw new Error('reproject_views reference: needs the cameras');
      const [B, V, K] = x.shape;
      const out = new Float64Array(B * V * K * 2).fill(NaN);
      const kinks: Kinks = [];
      for (let b = 0; b < B; b++)
        for (let k = 0; k < K; k++) {
          const at = (v: number): Point2 | null => {
            const e = (b * V + v) * K + k;
            const q: Point2 = [x.data[2 * e], x.data[2 * e + 1]];
            return Number.isFinite(q[0]) && Number.isFinite(q[1]) ? q : null;
          };
          const und = cameras.map((c, v) => (at(v) ? undistortRef(at(v)!, c) : null));
          let X: Point3 | null;
          if (p.triangulation === 'dlt') X = triangulateRef(und, cameras);
          else {
            const pairs = pairwiseRef(und, cameras);
            const ok = pairs.filter((q): q is Point3 => q !== null);
            // the median switches pairs where two estimates cross
            for (let c = 0; c < 3; c++) for (let i = 0; i < ok.length; i++) for (let j = i + 1; j < ok.length; j++) kinks.push([ok[i][c] - ok[j][c], 0]);
            X = medianOfPairsRef(pairs);
          }
          if (!X) continue;
          cameras.forEach((c, v) => {
            const [u, w] = projectRef(X!, c);
            const e = (b * V + v) * K + k;
            out[2 * e] = u;
            out[2 * e + 1] = w;
          });
        }
      return { out: plain([B, V, K, 2], out), kinks };
    },
  },
};

/** V cameras around the y axis looking at the origin from 8–10 units (yaws 0.5 rad or more apart), mild random tilt, focal length and distortion. */
const rigArb = (fc: FastCheck, V: number): Arbitrary<Camera[]> =>
  fc.array(
    fc.record({ tilt: num(fc, -0.1, 0.1), f: num(fc, 800, 1500), depth: num(fc, 8, 10), k1: num(fc, -0.1, 0.1), k2: num(fc, -0.02, 0.02), p1: num(fc, -0.001, 0.001), p2: num(fc, -0.001, 0.001) }),
    { minLength: V, maxLength: V },
  ).map((cs) =>
    cs.map((c, i) => ({
      name: `cam${i}`,
      size: [1000, 800] as [number, number],
      matrix: [[c.f, 0, 500], [0, c.f, 400], [0, 0, 1]],
      distortions: [c.k1, c.k2, c.p1, c.p2, 0],
      rotation: [c.tilt, -0.6 + (1.2 * i) / (V - 1), 0],
      translation: [0, 0, c.depth],
    })),
  );
