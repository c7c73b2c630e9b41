import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import * as t from 'io-ts';
import { positive } from '../../config/codecs.js';
import { shapeStr } from '../../config/issues.js';
import type { BuiltTransform, StepDef } from '../../pipeline/step.js';
import { resolveKeys, stepCodec } from '../common.js';
import { dimsOf, num, ofKeys, plain } from '../reference.js';

const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'a positive integer');

const codec = stepCodec(
  'transform',
  'gaussian_heatmaps',
  { of: t.string, as: t.string, image_height: positive, image_width: positive, heatmap_height: PositiveInt, heatmap_width: PositiveInt, sigma: positive },
  { of: 'keypoints_pred_2d_reprojected', as: 'heatmaps_reprojected', sigma: 1.25 },
);

/** One axis of the separable Gaussian: exp(−(i − c)²/(2σ²)) for pixel centres i = 0..n−1, shape (B, K, n). */
const axis = (c: tf.Tensor, n: number, sigma: number): tf.Tensor =>
  tf
    .range(0, n, 1, 'float32')
    .reshape([1, 1, n])
    .sub(c.expandDims(-1))
    .square()
    .mul(-1 / (2 * sigma * sigma))
    .exp();

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
        fusion: {
          op: 'gaussian_heatmaps',
          params: { image_height: p.image_height, image_width: p.image_width, heatmap_height: ho, heatmap_width: wo, sigma: p.sigma },
        },
        apply: (kp) => {
          const nan = kp.isNaN().any(-1);
          const safe = tf.where(kp.isNaN(), tf.zerosLike(kp), kp);
          const [x0, y0] = tf.unstack(safe, -1);
          const x = x0.mul(wo / p.image_width);
          const y = y0.mul(ho / p.image_height);
          const bad = nan
            .logicalOr(x.less(-1))
            .logicalOr(x.greater(wo + 1))
            .logicalOr(y.less(-1))
            .logicalOr(y.greater(ho + 1));
          const gx = axis(x.clipByValue(-1, wo + 1), wo, p.sigma);
          const gy = axis(y.clipByValue(-1, ho + 1), ho, p.sigma);
          const total = gx.sum(-1).mul(gy.sum(-1));
          const norm = tf.where(bad, tf.zerosLike(total), tf.onesLike(total).div(total));
          return gy.mul(norm.expandDims(-1)).expandDims(-1).mul(gx.expandDims(-2));
        },
      };
    })(resolveKeys(p.of, ctx, 'gaussian_heatmaps', 1, ['points'])),
  reference: {
    phase: 'transform',
    cases: (fc, opts = {}) => {
      const spec = opts.spec
        ? fc.constant(opts.spec)
        : fc
            .record({
              image_height: fc.integer({ min: 4, max: 64 }),
              image_width: fc.integer({ min: 4, max: 64 }),
              heatmap_height: fc.integer({ min: 1, max: 8 }),
              heatmap_width: fc.integer({ min: 1, max: 8 }),
              sigma: fc.constantFrom(1.25, 0.75, 2),
            })
            .map((g) => ({ transform: 'gaussian_heatmaps', of: 'keypoints_pred_2d_reprojected', as: 'heatmaps_reprojected', ...g }));
      // keypoints over the image and a margin around it: some off the grid
      return fc.tuple(spec, dimsOf(fc, opts)).chain(([s, { B, K }]) => {
        const [w, h] = [Number(s.image_width), Number(s.image_height)];
        return fc
          .array(fc.tuple(num(fc, -0.2 * w, 1.2 * w), num(fc, -0.2 * h, 1.2 * h)), { minLength: B * K, maxLength: B * K })
          .map((xy) => ({ spec: s, inputs: { [ofKeys(s)[0]]: plain([B, K, 2], Float32Array.from(xy.flat())) } }));
      });
    },
    sizes: (spec) => ({ H: Number(spec.heatmap_height), W: Number(spec.heatmap_width) }),
    // scaled in float32 as the tensors are, so the off-grid test agrees exactly at its bounds
    apply: (p, kp) => {
      const [b, k] = kp.shape;
      const [ho, wo] = [p.heatmap_height, p.heatmap_width];
      const out = new Float64Array(b * k * ho * wo);
      const kinks: [number, number][] = [];
      for (let m = 0; m < b * k; m++) {
        const x = Math.fround(kp.data[2 * m] * Math.fround(wo / p.image_width));
        const y = Math.fround(kp.data[2 * m + 1] * Math.fround(ho / p.image_height));
        kinks.push([x, -1], [x, wo + 1], [y, -1], [y, ho + 1]);
        if (Number.isNaN(x) || Number.isNaN(y) || x < -1 || x > wo + 1 || y < -1 || y > ho + 1) continue;
        const g = Array.from({ length: ho * wo }, (_, i) => Math.exp(-(((i % wo) - x) ** 2 + (Math.floor(i / wo) - y) ** 2) / (2 * p.sigma ** 2)));
        const s = g.reduce((a, v) => a + v, 0);
        g.forEach((v, i) => (out[m * ho * wo + i] = v / s));
      }
      return { out: plain([b, k, ho, wo], out), kinks };
    },
  },
};
