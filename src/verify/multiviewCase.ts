import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { type Camera, CameraSection } from '../config/calibration.js';
import { formatIssues } from '../config/issues.js';
import { report } from '../config/reporter.js';
import { cameraPairs, cameraTensors, disposeCameras } from '../geometry/cameraTensors.js';
import { multiviewGeometry } from '../geometry/multiview.js';
import { rodrigues } from '../geometry/rotation.js';
import { compareArray, compareShape } from './compare.js';
import { type GoldenCase, type JsonTensor, toTensor } from './format.js';
import { fail, type Outcome, pass } from './lossCase.js';

/** Tolerances of ../shared/golden/multiview/README.md (absolute; NaN patterns must match exactly). */
const ATOL = {
  undistorted: 1e-8,
  points_3d: 1e-5,
  pairwise_points_3d: 1e-5,
  pairwise_median_points_3d: 1e-5,
  reprojected: 1e-3,
  reprojection_error: 1e-3,
  mean_reprojection_error: 1e-3,
} as const;

type Field = keyof typeof ATOL;

/** The case's cameras through the calibration codec (the vectors use calibration.toml's keys), rotations checked against `extrinsics_mat`. */
const casesCameras = (c: GoldenCase): Camera[] => {
  const raw = (c as unknown as { cameras: Record<string, unknown>[] }).cameras;
  if (!Array.isArray(raw)) throw new Error(`a geometry:multiview case needs 'cameras'`);
  return raw.map((cam, i) => {
    const { extrinsics_mat, ...section } = cam;
    const d = CameraSection.decode(section);
    if (either.isLeft(d)) throw new Error(formatIssues(report(d.left, `cameras[${i}]`)));
    if (Array.isArray(extrinsics_mat)) {
      const R = rodrigues(d.right.rotation);
      const m = R.flatMap((row, r) => row.map((v, k) => Math.abs(v - (extrinsics_mat as number[][])[r][k]))).reduce((a, b) => Math.max(a, b), 0);
      if (m > 1e-12) throw new Error(`cameras[${i}]: rotation disagrees with extrinsics_mat by ${m.toExponential(2)}`);
    }
    return d.right;
  });
};

/** A `geometry:multiview` case: undistort, triangulate (all views, pairs, median of pairs), reproject, errors — each compared with its README tolerance. */
export const runMultiviewCase = (c: GoldenCase): Outcome => {
  let cams: ReturnType<typeof cameraTensors>;
  try {
    cams = cameraTensors(casesCameras(c));
  } catch (e) {
    return fail((e as Error).message);
  }
  const exp = c.expected as Record<string, unknown>;
  const kp = c.inputs.keypoints_2d;
  if (!kp) return fail(`a geometry:multiview case needs inputs.keypoints_2d (V, N, 2)`);
  const points = toTensor(kp);
  try {
    const pairs = exp.camera_pairs as number[][] | undefined;
    const ours = cameraPairs(cams.views[0]);
    if (pairs && JSON.stringify(pairs) !== JSON.stringify(ours)) return fail(`camera_pairs: expected ${JSON.stringify(pairs)}, got ${JSON.stringify(ours)}`);
    const g = multiviewGeometry(points, cams);
    const got: Record<Field, tf.Tensor> = {
      undistorted: g.undistorted,
      points_3d: g.points3d,
      reprojected: g.reprojected,
      reprojection_error: g.reprojectionError,
      mean_reprojection_error: g.meanReprojectionError,
      pairwise_points_3d: g.pairwise,
      pairwise_median_points_3d: g.pairwiseMedian,
    };
    try {
      for (const f of Object.keys(ATOL) as Field[]) {
        const e = exp[f] as JsonTensor | undefined;
        if (!e) continue;
        const m = compareShape(f, got[f].shape, e.shape) ?? compareArray(f, got[f].dataSync(), e.data, { rtol: 0, atol: ATOL[f] });
        if (m) return fail(m);
      }
    } finally {
      tf.dispose(Object.values(got));
    }
    return pass;
  } catch (e) {
    return fail(`threw ${(e as Error).message}`);
  } finally {
    points.dispose();
    disposeCameras(cams);
  }
};
