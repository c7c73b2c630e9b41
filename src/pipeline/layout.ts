import * as tf from '@tensorflow/tfjs';
import { type KeyKind, KIND_TABLE, keypointCount, unpackedInner, unpackedShape } from './keys.js';

/**
 * How a compute step's output is indexed relative to its inputs. Masks are computed on the
 * inputs (at keypoint level, or per element of one input); a layout lifts them onto the
 * output, maps output validity back to the input elements that feed it (so invalid inputs
 * can be replaced by safe values before any arithmetic), and places per-keypoint values.
 */
export interface Layout {
  readonly name: string;
  /** Frame-pair outputs (B−1, K): confidence masks combine frames t and t+1. */
  readonly temporal: boolean;
  /** Per-keypoint epsilon lists are allowed. */
  readonly perKeypoint: boolean;
  /** A keypoint-level weight of input `kind` (its grid) → broadcastable to the output. */
  liftKeypoint(w: tf.Tensor, kind: KeyKind): tf.Tensor;
  /** An element-level weight of an input of `kind` → keypoint level (both/all coordinates valid). */
  elementToKeypoint(w: tf.Tensor, kind: KeyKind): tf.Tensor;
  /** Whether element-level masks stay element-level (an elementwise compute). */
  readonly elementwise: boolean;
  /** Output validity → validity of each element of an input of `kind` and `shape` (broadcastable to it). */
  feeds(valid: tf.Tensor, kind: KeyKind, shape: readonly number[]): tf.Tensor;
  /** A (K,) vector → broadcastable to the output; `k` = number of keypoints of the output. */
  keypointVector(v: tf.Tensor): tf.Tensor;
  /** Number of keypoints of an output of this shape (for per-keypoint epsilon checks). */
  outputKeypoints(outShape: readonly number[]): number;
}

/** (B, K) → (B, 2K): each keypoint's weight on both of its coordinates. */
export const repeatCoords = (w: tf.Tensor): tf.Tensor => {
  const [b, k] = w.shape as number[];
  return w
    .reshape([b, k, 1])
    .tile([1, 1, 2])
    .reshape([b, 2 * k]);
};

/** Element weights → keypoint weights: a keypoint is valid iff all its values (coordinates, pixels) are. */
export const allOf = (w: tf.Tensor, kind: KeyKind): tf.Tensor => {
  const n = unpackedInner(kind);
  if (n === 0) return w;
  const u = w.reshape(unpackedShape(kind, w.shape));
  return u.min(Array.from({ length: n }, (_, i) => u.rank - 1 - i));
};

/** A keypoint-grid weight → broadcastable to an input tensor of that kind (each keypoint's weight on all its values). */
const gridToInput = (w: tf.Tensor, kind: KeyKind): tf.Tensor => {
  const { inner, packed } = KIND_TABLE[kind];
  const spread =
    packed > 1
      ? w
          .expandDims(-1)
          .tile([...w.shape.map(() => 1), packed])
          .reshape([...w.shape.slice(0, -1), w.shape[w.rank - 1] * packed])
      : w;
  return inner === 0 ? spread : spread.reshape([...spread.shape, ...new Array<number>(inner).fill(1)]);
};

/** Elementwise compute on inputs of one kind (squared error, huber, heatmap_mse, ...): output has the inputs' shape. */
export const elementwiseLayout = (kind: KeyKind): Layout => ({
  name: `elementwise(${kind})`,
  temporal: false,
  perKeypoint: true,
  elementwise: true,
  liftKeypoint: (w) => gridToInput(w, kind),
  elementToKeypoint: (w) => allOf(w, kind),
  feeds: (valid) => valid,
  keypointVector: (v) => gridToInput(v, kind),
  outputKeypoints: (s) => keypointCount(kind, s),
});

/** One value per keypoint (Euclidean distance, per-map KL): output is the inputs' keypoint grid. */
export const keypointLayout = (kind: KeyKind): Layout => ({
  name: `keypoint(${kind})`,
  temporal: false,
  perKeypoint: true,
  elementwise: false,
  liftKeypoint: (w) => w,
  elementToKeypoint: (w) => allOf(w, kind),
  feeds: (valid) => gridToInput(valid, kind),
  keypointVector: (v) => v,
  outputKeypoints: (s) => s[s.length - 1],
});

/** First row / last row of a (B, ...) tensor's frame pairs: rows 0..B−2 and 1..B−1. */
export const framePairs = (x: tf.Tensor): [tf.Tensor, tf.Tensor] => {
  const b = x.shape[0];
  const size = [Math.max(b - 1, 0), ...x.shape.slice(1)];
  const zeros = x.shape.map(() => 0);
  return [x.slice(zeros, size), x.slice([Math.min(1, b), ...zeros.slice(1)], size)];
};

/** Frame pairs (t, t+1) per keypoint: output (B−1, K) from (B, ...) inputs. */
export const pairLayout = (kind: KeyKind): Layout => ({
  name: `pairs(${kind})`,
  temporal: true,
  perKeypoint: true,
  elementwise: false,
  liftKeypoint: (w) => {
    const [a, b] = framePairs(w);
    return a.mul(b);
  },
  elementToKeypoint: (w) => allOf(w, kind),
  // frame t feeds pairs t−1 and t: it is used iff either is valid
  feeds: (valid) => {
    const k = valid.shape[1] as number;
    const before = tf.concat([tf.zeros([1, k]), valid], 0);
    const after = tf.concat([valid, tf.zeros([1, k])], 0);
    return gridToInput(tf.maximum(before, after), kind);
  },
  keypointVector: (v) => v,
  outputKeypoints: (s) => s[1],
});

/** 3-D target (B, K, 3) against per-camera-pair predictions (B, P, K, 3): output (B, P, K). */
export const pointPairsLayout: Layout = {
  name: 'points(B,P,K)',
  temporal: false,
  perKeypoint: true,
  elementwise: false,
  liftKeypoint: (w) => (w.rank === 2 ? w.expandDims(1) : w),
  elementToKeypoint: (w) => w.min(-1),
  feeds: (valid, _kind, shape) => (shape.length === 3 ? valid.max(1).expandDims(-1) : valid.expandDims(-1)),
  keypointVector: (v) => v,
  outputKeypoints: (s) => s[2],
};

/** Outputs that no mask or per-keypoint value can be placed on (PCA rows). */
export const opaqueLayout = (name: string): Layout => ({
  name,
  temporal: false,
  perKeypoint: false,
  elementwise: false,
  liftKeypoint: () => {
    throw new Error(`${name}: masks are not supported`);
  },
  elementToKeypoint: () => {
    throw new Error(`${name}: masks are not supported`);
  },
  feeds: (v) => v,
  keypointVector: () => {
    throw new Error(`${name}: per-keypoint values are not supported`);
  },
  outputKeypoints: (s) => s[s.length - 1],
});
