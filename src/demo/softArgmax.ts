import * as tf from '@tensorflow/tfjs';

export interface Decoded {
  /** Spatial softmax of the logits, (B, K, h, w), each map summing to 1: compared with the target heatmaps. */
  readonly heatmaps: tf.Tensor4D;
  /** Expected coordinates in image pixels, (B, 2K) as x0, y0, x1, y1, … (the reference's flat layout). */
  readonly keypoints: tf.Tensor2D;
  /** Maximum of each normalised map, (B, K). */
  readonly confidences: tf.Tensor2D;
}

/**
 * Differentiable keypoints from heatmap logits (B, K, h, w): a spatial softmax at
 * `temperature` gives a distribution over the heatmap's pixels, whose expected (column, row)
 * scaled by image/heatmap size is the keypoint, as the gaussian_heatmaps step places pixel
 * centres (heatmap pixel j ↔ image x = j·W/w). The confidence is the maximum of the map at
 * temperature 1: 1/(2πσ²) ≈ 0.10 for a perfect σ = 1.25 target, 1/(h·w) for a flat map.
 */
export const softArgmax = (logits: tf.Tensor4D, image: { height: number; width: number }, temperature = 1): Decoded => {
  const [b, k, h, w] = logits.shape;
  const flat = logits.reshape([b, k, h * w]);
  const heatmaps = flat.softmax().reshape([b, k, h, w]) as tf.Tensor4D;
  const p = temperature === 1 ? heatmaps : (flat.mul(temperature).softmax().reshape([b, k, h, w]) as tf.Tensor4D);
  const cols = tf.range(0, w, 1, 'float32').mul(image.width / w);
  const rows = tf.range(0, h, 1, 'float32').mul(image.height / h);
  const x = p.sum(2).mul(cols).sum(-1); // (B, K): marginal over rows, then expectation over columns
  const y = p.sum(3).mul(rows).sum(-1);
  const keypoints = tf.stack([x, y], -1).reshape([b, 2 * k]) as tf.Tensor2D;
  const confidences = heatmaps.reshape([b, k, h * w]).max(-1) as tf.Tensor2D;
  return { heatmaps, keypoints, confidences };
};
