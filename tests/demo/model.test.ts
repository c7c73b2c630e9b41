import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { conv3x3 } from '../../src/demo/conv.js';
import { createModel, DEFAULT_MODEL } from '../../src/demo/model.js';
import { softArgmax } from '../../src/demo/softArgmax.js';
import { heatmapRenderer } from '../../src/demo/targets.js';

/** The model's pieces: the trainable convolution's gradients, soft-argmax, memory. */

/** Reference convolution from differentiable ops only (pad, slice, concat, matMul). */
const im2colConv = (x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D => {
  const [b, h, wd, c] = x.shape;
  const p = x.pad([
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const parts: tf.Tensor[] = [];
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) parts.push(p.slice([0, dy, dx, 0], [b, h, wd, c]));
  return tf
    .concat(parts, 3)
    .reshape([b * h * wd, 9 * c])
    .matMul(w.reshape([9 * c, w.shape[3]]))
    .reshape([b, h, wd, w.shape[3]]);
};

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);

describe('conv3x3', () => {
  it('matches an im2col convolution in value and in both gradients', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 5, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
      const up = tf.randomNormal([2, 6, 5, 4], 0, 1, 'float32', 3);
      expect(maxAbsDiff(conv3x3(x, w), im2colConv(x, w))).toBeLessThan(1e-4);
      const f = (conv: typeof conv3x3) =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          conv(a as tf.Tensor4D, b as tf.Tensor4D)
            .mul(up)
            .sum(),
        );
      const [dx1, dw1] = f(conv3x3)([x, w]);
      const [dx2, dw2] = f(im2colConv)([x, w]);
      expect(maxAbsDiff(dx1, dx2)).toBeLessThan(1e-4);
      expect(maxAbsDiff(dw1, dw2)).toBeLessThan(1e-3);
    });
  });

  it('rejects a filter that does not fit', () => {
    tf.tidy(() => {
      expect(() => conv3x3(tf.zeros([1, 4, 4, 2]), tf.zeros([3, 3, 3, 1]))).toThrow(/conv3x3: filter \(3,3,3,1\) does not fit input \(1,4,4,2\)/);
    });
  });
});

describe('softArgmax', () => {
  it("recovers keypoints from the log of the reference's target heatmaps, confidence = the map's maximum", () => {
    tf.tidy(() => {
      const kp = tf.tensor3d([
        [
          [20.3, 31.7],
          [40, 12.5],
        ],
      ]); // (1, K=2, 2) in 64 px frames
      const target = heatmapRenderer(64, 16)(kp);
      const d = softArgmax(target.add(1e-12).log() as tf.Tensor4D, { height: 64, width: 64 });
      expect(maxAbsDiff(d.keypoints, kp.reshape([1, 4]))).toBeLessThan(0.05);
      expect(maxAbsDiff(d.heatmaps, target)).toBeLessThan(1e-6);
      expect(maxAbsDiff(d.confidences, target.reshape([1, 2, 256]).max(-1))).toBeLessThan(1e-6);
    });
  });

  it('a flat map gives the centre of the grid and confidence 1/(h·w)', () => {
    tf.tidy(() => {
      const d = softArgmax(tf.zeros([1, 1, 16, 16]) as tf.Tensor4D, { height: 64, width: 64 });
      expect(Array.from(d.keypoints.dataSync())).toEqual([30, 30]); // mean of 0, 4, …, 60
      expect(d.confidences.dataSync()[0]).toBeCloseTo(1 / 256, 6);
    });
  });
});

describe('model', () => {
  it('maps (B, 64, 64, 1) frames to (B, K, 16, 16) heatmaps, (B, 2K) keypoints, (B, K) confidences, leaking nothing', () => {
    const before = tf.memory().numTensors;
    const m = createModel({ ...DEFAULT_MODEL, keypoints: 8, seed: 0 });
    const n = tf.memory().numTensors;
    expect(n - before).toBe(m.variables.length);
    tf.tidy(() => {
      const d = m.predict(tf.zeros([3, 64, 64, 1]));
      expect(d.heatmaps.shape).toEqual([3, 8, 16, 16]);
      expect(d.keypoints.shape).toEqual([3, 16]);
      expect(d.confidences.shape).toEqual([3, 8]);
    });
    expect(tf.memory().numTensors).toBe(n);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('starts from the same weights for the same seed', () => {
    const [a, b, c] = [0, 0, 1].map((seed) => createModel({ ...DEFAULT_MODEL, keypoints: 8, seed }));
    expect(maxAbsDiff(a.variables[0], b.variables[0])).toBe(0);
    expect(maxAbsDiff(a.variables[0], c.variables[0])).toBeGreaterThan(0);
    [a, b, c].forEach((m) => m.dispose());
  });
});
