import type * as t from 'io-ts';
import { Epsilon, finite, inRange, strict } from '../config/codecs.js';
import type { StepSpec } from '../pipeline/step.js';
import { defineLoss } from './define.js';

/** Multi-view consistency losses on unlabeled frames: epsilon (px, scalar or per keypoint) and the per-(view, keypoint) confidence threshold. */
export const MultiviewConsistencyParams = strict(
  'multi-view consistency parameters',
  { log_weight: finite, epsilon: Epsilon, prob_threshold: inRange(0, 1) },
  { log_weight: 0, epsilon: 0, prob_threshold: 0.05 },
);
type P = t.TypeOf<typeof MultiviewConsistencyParams>;

/**
 * Triangulate (`triangulation`), reproject into every view, penalise relu(‖reprojection −
 * prediction‖ − ε) per (frame, view, keypoint); a view below `prob_threshold` is left out of the
 * triangulation and its term dropped, as are missing predictions and points with < 2 views.
 */
const pipeline =
  (triangulation: 'dlt' | 'pairwise_median') =>
  (p: P): StepSpec[] => [
    {
      transform: 'reproject_views',
      of: 'keypoints_pred_views',
      as: 'keypoints_views_reprojected',
      triangulation,
      confidences: 'confidences_views',
      below: p.prob_threshold,
    },
    { mask: 'low_confidence', of: 'confidences_views', below: p.prob_threshold, mode: 'drop', optional: true },
    { mask: 'nan_keypoints', of: 'keypoints_pred_views' },
    { mask: 'nan_keypoints', of: 'keypoints_views_reprojected' },
    { compute: 'euclidean', of: ['keypoints_pred_views', 'keypoints_views_reprojected'] },
    { rectify: 'epsilon', epsilon: p.epsilon },
    { reduce: 'mean' },
  ];

/** Every camera pair triangulated, the NaN-ignoring median of the pair estimates reprojected into every view: do the views agree in 3-D? */
export const cycleReprojection = defineLoss<typeof MultiviewConsistencyParams, 'keypoints_pred_views' | 'confidences_views', 'confidences_views'>({
  name: 'cycle_reprojection',
  doc: 'pixel distance from each view’s prediction to the reprojection of the median of the camera pairs’ triangulations',
  params: MultiviewConsistencyParams,
  pipeline: pipeline('pairwise_median'),
});

/** All-view DLT reprojected into every view: the triangulation's residual in pixels. */
export const triangulationResidual = defineLoss<typeof MultiviewConsistencyParams, 'keypoints_pred_views' | 'confidences_views', 'confidences_views'>({
  name: 'triangulation_residual',
  doc: 'pixel distance from each view’s prediction to the reprojection of the all-view (DLT) triangulation',
  params: MultiviewConsistencyParams,
  pipeline: pipeline('dlt'),
});
