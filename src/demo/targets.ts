import type * as tf from '@tensorflow/tfjs';
import { heatmapRenderer as render } from '../steps/transform/render.js';

/**
 * Target heatmaps as the reference renders them, by the same gaussian_heatmaps step the
 * reprojection loss declares — so the demo's targets are the library's, not a copy.
 */
export const heatmapRenderer = (image: number, heatmap: number): ((keypoints: tf.Tensor3D) => tf.Tensor4D) =>
  render({ height: image, width: image }, { height: heatmap, width: heatmap });
