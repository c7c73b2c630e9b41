import { defineLoss } from './define.js';
import { TemporalParams } from './params.js';

/**
 * temporal: distance each keypoint moves between consecutive frames, minus epsilon;
 * low-confidence pairs count as 0 in the mean (reference §3). Confidences are optional.
 */
export const temporal = defineLoss<typeof TemporalParams, 'keypoints_pred' | 'confidences', 'confidences'>({
  name: 'temporal',
  doc: 'penalise keypoint jumps between consecutive frames larger than epsilon (pixels)',
  params: TemporalParams,
  pipeline: (p) => [
    { compute: 'temporal_norm', of: 'keypoints_pred' },
    { mask: 'low_confidence_pairs', of: 'confidences', below: p.prob_threshold, mode: 'zero', optional: true },
    { rectify: 'epsilon', epsilon: p.epsilon },
    { reduce: 'mean' },
  ],
});

/** temporal_heatmap_mse | temporal_heatmap_kl: the same on heatmaps; confidences required (reference §4). */
const temporalHeatmap = (name: 'temporal_heatmap_mse' | 'temporal_heatmap_kl', doc: string) =>
  defineLoss<typeof TemporalParams, 'heatmaps_pred' | 'confidences'>({
    name,
    doc,
    params: TemporalParams,
    pipeline: (p) => [
      { compute: name, of: 'heatmaps_pred' },
      { mask: 'low_confidence_pairs', of: 'confidences', below: p.prob_threshold, mode: 'zero' },
      { rectify: 'epsilon', epsilon: p.epsilon },
      { reduce: 'mean' },
    ],
  });

export const temporalHeatmapMse = temporalHeatmap('temporal_heatmap_mse', 'per-pixel mean squared change of each heatmap between frames');
export const temporalHeatmapKl = temporalHeatmap('temporal_heatmap_kl', 'KL divergence of each heatmap between consecutive frames');
