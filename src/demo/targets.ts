import type * as tf from '@tensorflow/tfjs';
import { createLossOrThrow } from '../registry/losses.js';
import type { BuiltTransform } from '../pipeline/step.js';

/**
 * Target heatmaps as the reference renders them (generate_heatmaps: a σ = 1.25 Gaussian in
 * heatmap pixels at each keypoint, normalised to sum 1), by the same gaussian_heatmaps step
 * the reprojection loss declares — so the demo's targets are the library's, not a copy.
 */
export const heatmapRenderer = (image: number, heatmap: number): ((keypoints: tf.Tensor3D) => tf.Tensor4D) => {
  const loss = createLossOrThrow('supervised_reprojection_heatmap_mse', {
    original_image_height: image,
    original_image_width: image,
    downsampled_image_height: heatmap,
    downsampled_image_width: heatmap,
  });
  const step = loss.steps.find((s): s is BuiltTransform => s.phase === 'transform' && s.name === 'gaussian_heatmaps');
  if (!step) throw new Error('supervised_reprojection_heatmap_mse no longer declares a gaussian_heatmaps step');
  return (keypoints) => step.apply(keypoints) as tf.Tensor4D;
};
