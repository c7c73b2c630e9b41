import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { either } from 'fp-ts';
import type { StepDef, BuiltTransform } from '../../pipeline/step.js';
import { positive } from '../../config/codecs.js';
import { shapeStr } from '../../config/issues.js';
import { stepCodec, resolveKeys } from '../common.js';

const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'a positive integer');

const codec = stepCodec(
  'transform',
  'gaussian_heatmaps',
  { of: t.string, as: t.string, image_height: positive, image_width: positive, heatmap_height: PositiveInt, heatmap_width: PositiveInt, sigma: positive },
  { of: 'keypoints_pred_2d_reprojected', as: 'heatmaps_reprojected', sigma: 1.25 },
);

/** One axis of the separable Gaussian: exp(−(i − c)²/(2σ²)) for pixel centres i = 0..n−1, shape (B, K, n). */
const axis = (c: tf.Tensor, n: number, sigma: number): tf.Tensor =>
  tf.range(0, n, 1, 'float32').reshape([1, 1, n]).sub(c.expandDims(-1)).square().mul(-1 / (2 * sigma * sigma)).exp();

/**
 * Differentiable target heatmaps from keypoints (B, K, 2) in image pixels (x, y), as the
 * reference `generate_heatmaps`: scale to the heatmap grid, clamp to [−1, size+1], a Gaussian
 * at integer pixel centres normalised to sum 1; keypoints off the grid (or NaN) give an
 * all-zero map. Separable: the map is the outer product of a row and a column profile.
 * Deliberate difference: a NaN y with finite x gives a zero map (the reference: all NaN).
 */
export const gaussianHeatmaps: StepDef<t.TypeOf<typeof codec>> = {
  phase: 'transform',
  name: 'gaussian_heatmaps',
  doc: 'render keypoints (B, K, 2) as normalised Gaussian heatmaps (B, K, H, W), differentiably',
  codec,
  build: (p, ctx) =>
    either.map(([of]: string[]): BuiltTransform => {
      const [ho, wo] = [p.heatmap_height, p.heatmap_width];
      return {
        phase: 'transform',
        name: 'gaussian_heatmaps',
        of,
        as: p.as,
        kind: 'heatmaps',
        check: (s) => (s.length === 3 && s[2] === 2 ? null : `gaussian_heatmaps: ${of} ${shapeStr(s)}: expected (B, K, 2)`),
        outShape: (s) => [s[0], s[1], ho, wo],
        fusion: { op: 'gaussian_heatmaps', params: { image_height: p.image_height, image_width: p.image_width, heatmap_height: ho, heatmap_width: wo, sigma: p.sigma } },
        apply: (kp) => {
          const nan = kp.isNaN().any(-1);
          const safe = tf.where(kp.isNaN(), tf.zerosLike(kp), kp);
          const [x0, y0] = tf.unstack(safe, -1);
          const x = x0.mul(wo / p.image_width);
          const y = y0.mul(ho / p.image_height);
          const bad = nan.logicalOr(x.less(-1)).logicalOr(x.greater(wo + 1)).logicalOr(y.less(-1)).logicalOr(y.greater(ho + 1));
          const gx = axis(x.clipByValue(-1, wo + 1), wo, p.sigma);
          const gy = axis(y.clipByValue(-1, ho + 1), ho, p.sigma);
          const total = gx.sum(-1).mul(gy.sum(-1));
          const norm = tf.where(bad, tf.zerosLike(total), tf.onesLike(total).div(total));
          return gy.mul(norm.expandDims(-1)).expandDims(-1).mul(gx.expandDims(-2));
        },
      };
    })(resolveKeys(p.of, ctx, 'gaussian_heatmaps', 1, ['points'])),
};
