import * as tf from '@tensorflow/tfjs';
import type { Camera } from './calibration.js';
import { rodrigues } from './rotation.js';

/**
 * A camera group as float32 tensors laid out to broadcast against points of shape
 * (..., ...views, K, C): every parameter has the leading `views` shape ((V) for a rig, (P, 2)
 * for camera pairs) followed by a 1 for the keypoint axis. Scalars are (...views, 1);
 * `R` is (...views, 1, 3, 3) and `t` (...views, 1, 3).
 */
export interface CameraTensors {
  readonly views: readonly number[];
  readonly fx: tf.Tensor;
  readonly fy: tf.Tensor;
  readonly cx: tf.Tensor;
  readonly cy: tf.Tensor;
  readonly k1: tf.Tensor;
  readonly k2: tf.Tensor;
  readonly k3: tf.Tensor;
  readonly p1: tf.Tensor;
  readonly p2: tf.Tensor;
  readonly R: tf.Tensor;
  readonly t: tf.Tensor;
}

const SCALARS = ['fx', 'fy', 'cx', 'cy', 'k1', 'k2', 'k3', 'p1', 'p2'] as const;

const scalarsOf = (c: Camera): Record<(typeof SCALARS)[number], number> => {
  const [k1, k2, p1, p2, k3] = c.distortions;
  return { fx: c.matrix[0][0], fy: c.matrix[1][1], cx: c.matrix[0][2], cy: c.matrix[1][2], k1, k2, k3, p1, p2 };
};

/** The rig's cameras in view order as tensors with views shape (V); the caller owns (disposes) them. */
export const cameraTensors = (cameras: readonly Camera[]): CameraTensors => {
  const V = cameras.length;
  const scalars = Object.fromEntries(SCALARS.map((k) => [k, tf.tensor2d(cameras.map((c) => [scalarsOf(c)[k]]), [V, 1])])) as Record<(typeof SCALARS)[number], tf.Tensor>;
  const R = tf.tensor4d(cameras.flatMap((c) => rodrigues(c.rotation).flat()), [V, 1, 3, 3]);
  const t = tf.tensor3d(cameras.flatMap((c) => [...c.translation]), [V, 1, 3]);
  return { views: [V], ...scalars, R, t };
};

/** Every camera pair (i < j) in itertools.combinations order: (0,1), (0,2), …, (1,2), …. */
export const cameraPairs = (V: number): [number, number][] => {
  const out: [number, number][] = [];
  for (let i = 0; i < V; i++) for (let j = i + 1; j < V; j++) out.push([i, j]);
  return out;
};

/** The cameras gathered by pairs: views shape (P, 2). Owned by the caller. */
export const pairCameras = (cams: CameraTensors, pairs: readonly (readonly [number, number])[]): CameraTensors => {
  const idx = tf.tensor2d(pairs.map((p) => [...p]), [pairs.length, 2], 'int32');
  const g = (x: tf.Tensor) => tf.gather(x, idx);
  const out = { views: [pairs.length, 2], ...Object.fromEntries(SCALARS.map((k) => [k, g(cams[k])])), R: g(cams.R), t: g(cams.t) } as unknown as CameraTensors;
  idx.dispose();
  return out;
};

export const disposeCameras = (c: CameraTensors): void => tf.dispose([...SCALARS.map((k) => c[k]), c.R, c.t]);

/** Tensors of the group, for tf.keep / leak accounting. */
export const cameraTensorList = (c: CameraTensors): tf.Tensor[] => [...SCALARS.map((k) => c[k]), c.R, c.t];
