import * as tf from '@tensorflow/tfjs';
import type { CameraTensors } from './cameraTensors.js';
import { medianOfPairs, triangulatePairs } from './pairwise.js';
import { project } from './project.js';
import { meanReprojectionError, reprojectionError } from './reprojection.js';
import { triangulate } from './triangulate.js';
import { undistort } from './undistort.js';

/** Everything the multi-view geometry derives from per-view 2-D points (..., V, K, 2) in pixels. */
export interface MultiviewGeometry {
  /** (..., V, K, 2) normalised. */
  readonly undistorted: tf.Tensor;
  /** All-view DLT (..., K, 3). */
  readonly points3d: tf.Tensor;
  /** (..., V, K, 2) pixels: points3d projected into every view. */
  readonly reprojected: tf.Tensor;
  /** (..., V, K) pixels. */
  readonly reprojectionError: tf.Tensor;
  /** (..., K). */
  readonly meanReprojectionError: tf.Tensor;
  /** (..., P, K, 3). */
  readonly pairwise: tf.Tensor;
  /** (..., K, 3). */
  readonly pairwiseMedian: tf.Tensor;
}

/** Run the whole chain (as aniposelib's CameraGroup: undistort, triangulate, project, errors; and the pairwise fast path). */
export const multiviewGeometry = (points: tf.Tensor, cams: CameraTensors, weights?: tf.Tensor): MultiviewGeometry =>
  tf.tidy(() => {
    const undistorted = undistort(points, cams);
    const points3d = triangulate(undistorted, cams, weights);
    const reprojected = project(points3d, cams);
    const err = reprojectionError(points, reprojected);
    const pairwise = triangulatePairs(undistorted, cams, weights);
    return {
      undistorted,
      points3d,
      reprojected,
      reprojectionError: err,
      meanReprojectionError: meanReprojectionError(err),
      pairwise,
      pairwiseMedian: medianOfPairs(pairwise),
    } as unknown as tf.TensorContainerObject;
  }) as unknown as MultiviewGeometry;
