import * as tf from '@tensorflow/tfjs';
import { conv3x3 } from './conv.js';
import { type Decoded, softArgmax } from './softArgmax.js';

/**
 * The demo's heatmap model: frames (B, S, S, 1) → K heatmaps at S/4 resolution.
 * A 4×4 space-to-depth stem (each heatmap cell sees its 16 pixels as channels), `depth` 3×3
 * convolutions with ReLU at S/4 (receptive field 2·depth+1 cells = 36 image pixels for depth 4,
 * about the animal's length), and a 1×1 head to K logits per cell, decoded by soft-argmax.
 * Weights are plain variables initialised (He normal) from a seed, so two runs from the
 * same seed start from the same model.
 */

export interface ModelOptions {
  readonly size: number;
  readonly keypoints: number;
  /** Image pixels per heatmap cell along each axis (the reference: 2^downsample_factor = 4). */
  readonly stride: number;
  readonly width: number;
  readonly depth: number;
  /** Soft-argmax temperature for the keypoints. */
  readonly temperature: number;
  readonly seed: number;
}

export const DEFAULT_MODEL: Omit<ModelOptions, 'keypoints' | 'seed'> = { size: 64, stride: 4, width: 32, depth: 4, temperature: 1 };

export interface HeatmapModel {
  readonly options: ModelOptions;
  readonly variables: readonly tf.Variable[];
  /** Heatmap logits (B, K, h, w) of frames (B, S, S, 1). */
  logits(frames: tf.Tensor4D): tf.Tensor4D;
  /** Normalised heatmaps, keypoints (pixels) and confidences of frames (B, S, S, 1). */
  predict(frames: tf.Tensor4D): Decoded;
  dispose(): void;
}

export const createModel = (o: ModelOptions): HeatmapModel => {
  if (o.size % o.stride !== 0) throw new RangeError(`model: frame size ${o.size} is not a multiple of the stride ${o.stride}`);
  const cells = o.size / o.stride;
  const stem = o.stride * o.stride;
  let seed = o.seed * 1000 + 1; // tf.randomNormal treats seed 0 as "no seed"
  // inside tidy the initial values are released; variables themselves are never disposed by tidy
  const he = (shape: number[], fanIn: number) => tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed++)));
  const zero = (n: number) => tf.tidy(() => tf.variable(tf.zeros([n])));
  const convs = Array.from({ length: o.depth }, (_, i) => {
    const cin = i === 0 ? stem : o.width;
    return { w: he([3, 3, cin, o.width], 9 * cin), b: zero(o.width) };
  });
  const head = { w: he([o.width, o.keypoints], o.width), b: zero(o.keypoints) };
  const variables = [...convs.flatMap((c) => [c.w, c.b]), head.w, head.b];

  const logits = (frames: tf.Tensor4D): tf.Tensor4D =>
    tf.tidy(() => {
      const b = frames.shape[0];
      // space-to-depth: (B, S, S, 1) → (B, S/s, S/s, s²), channel = (row in cell)·s + (column in cell)
      let h = frames.reshape([b, cells, o.stride, cells, o.stride]).transpose([0, 1, 3, 2, 4]).reshape([b, cells, cells, stem]) as tf.Tensor4D;
      h = h.sub(0.5) as tf.Tensor4D; // grey levels [0, 1] → centred
      for (const c of convs)
        h = conv3x3(h, c.w as tf.Variable<tf.Rank.R4>)
          .add(c.b)
          .relu() as tf.Tensor4D;
      const out = h
        .reshape([b * cells * cells, o.width])
        .matMul(head.w)
        .add(head.b);
      return out.reshape([b, cells, cells, o.keypoints]).transpose([0, 3, 1, 2]) as tf.Tensor4D;
    });

  return {
    options: o,
    variables,
    logits,
    predict: (frames) => tf.tidy(() => ({ ...softArgmax(logits(frames), { height: o.size, width: o.size }, o.temperature) })) as unknown as Decoded,
    dispose: () => tf.dispose(variables),
  };
};
