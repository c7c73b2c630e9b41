import type * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { PoselossError } from '../../config/issues.js';
import { INPUT_KINDS } from '../../pipeline/keys.js';
import { buildStep } from '../registry.js';

/**
 * Target heatmaps as the reference renders them (`generate_heatmaps`: a σ = 1.25 Gaussian in
 * heatmap pixels at each keypoint (B, K, 2) given in image pixels, normalised to sum 1), by the
 * `gaussian_heatmaps` step the reprojection loss declares — one renderer for every caller.
 */
export const heatmapRenderer = (
  image: { height: number; width: number },
  heatmap: { height: number; width: number },
  sigma = 1.25,
): ((keypoints: tf.Tensor) => tf.Tensor4D) => {
  const spec = {
    transform: 'gaussian_heatmaps',
    image_height: image.height,
    image_width: image.width,
    heatmap_height: heatmap.height,
    heatmap_width: heatmap.width,
    sigma,
  };
  const step = buildStep(spec, { kinds: INPUT_KINDS, path: 'gaussian_heatmaps', loss: 'gaussian_heatmaps' });
  if (either.isLeft(step)) throw new PoselossError(step.left);
  const built = step.right;
  if (built.phase !== 'transform') throw new Error('gaussian_heatmaps is not a transform step');
  return (keypoints) => built.apply(keypoints) as tf.Tensor4D;
};
