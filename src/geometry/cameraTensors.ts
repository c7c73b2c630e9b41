import * as tf from '@tensorflow/tfjs';
import type { Camera } from '../config/calibration.js';
import { rodrigues } from './rotation.js';

/**
 * A camera group as float32 tensors laid out to broadcast against per-view values of shape
 * (..., ...views, K): every parameter has the leading `views` shape ((V) for a rig, (P, 2) for
 * camera pairs) followed by a 1 for the keypoint axis. The rotation and translation are kept
 * as components (R[i][j], t[i]), so the camera math runs as elementwise ops on (..., views, K)
 * tensors: no small trailing axes to split, stack or reduce over.
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
  /** R[i][j]: the world → camera rotation's entries. */
  readonly R: readonly (readonly tf.Tensor[])[];
  readonly t: readonly tf.Tensor[];
  /** Which distortion terms any camera has (declared by the calibration): the math skips the others. */
  readonly terms: { readonly k2: boolean; readonly k3: boolean; readonly tangential: boolean };
}

const SCALARS = ['fx', 'fy', 'cx', 'cy', 'k1', 'k2', 'k3', 'p1', 'p2'] as const;

const scalarsOf = (c: Camera): Record<(typeof SCALARS)[number], number> => {
  const [k1, k2, p1, p2, k3] = c.distortions;
  return { fx: c.matrix[0][0], fy: c.matrix[1][1], cx: c.matrix[0][2], cy: c.matrix[1][2], k1, k2, k3, p1, p2 };
};

const mapCams = (c: CameraTensors, f: (x: tf.Tensor) => tf.Tensor, views: number[]): CameraTensors =>
  ({
    views,
    terms: c.terms,
    ...Object.fromEntries(SCALARS.map((k) => [k, f(c[k])])),
    R: c.R.map((row) => row.map(f)),
    t: c.t.map(f),
  }) as unknown as CameraTensors;

/** The rig's cameras in view order as tensors with views shape (V); the caller owns (disposes) them. */
export const cameraTensors = (cameras: readonly Camera[]): CameraTensors => {
  const V = cameras.length;
  const col = (vals: number[]) => tf.tensor2d(vals, [V, 1]);
  const Rs = cameras.map((c) => rodrigues(c.rotation));
  const any = (i: number) => cameras.some((c) => c.distortions[i] !== 0);
  return {
    views: [V],
    terms: { k2: any(1), k3: any(4), tangential: any(2) || any(3) },
    ...(Object.fromEntries(SCALARS.map((k) => [k, col(cameras.map((c) => scalarsOf(c)[k]))])) as Record<(typeof SCALARS)[number], tf.Tensor>),
    R: [0, 1, 2].map((i) => [0, 1, 2].map((j) => col(Rs.map((R) => R[i][j])))),
    t: [0, 1, 2].map((i) => col(cameras.map((c) => c.translation[i]))),
  };
};

/** Every camera pair (i < j) in combinations order: (0,1), (0,2), …, (1,2), …. */
export const cameraPairs = (V: number): [number, number][] => {
  const out: [number, number][] = [];
  for (let i = 0; i < V; i++) for (let j = i + 1; j < V; j++) out.push([i, j]);
  return out;
};

/** Layouts derived from a group (pairs, views last), made once and disposed with it. */
const derived = new WeakMap<CameraTensors, Map<string, CameraTensors>>();

const memo = (cams: CameraTensors, key: string, make: () => CameraTensors): CameraTensors => {
  let m = derived.get(cams);
  if (!m) derived.set(cams, (m = new Map()));
  let out = m.get(key);
  if (!out) {
    out = make();
    cameraTensorList(out).forEach((x) => tf.keep(x)); // outlives the tidy it may be made in
    m.set(key, out);
  }
  return out;
};

/** The cameras gathered by pairs: views shape (P, 2). Made once per group; disposed with it. */
export const pairCameras = (cams: CameraTensors, pairs: readonly (readonly [number, number])[]): CameraTensors =>
  memo(
    cams,
    `pairs ${JSON.stringify(pairs)}`,
    () =>
      tf.tidy(() => {
        const idx = tf.tensor2d(
          pairs.map((p) => [...p]),
          [pairs.length, 2],
          'int32',
        );
        const out = mapCams(cams, (x) => tf.gather(x, idx), [pairs.length, 2]);
        return out as unknown as tf.TensorContainer;
      }) as unknown as CameraTensors,
  );

/** The same cameras with the views axis last, for values laid out (..., K, views) (a 1 for K before the last views axis). Made once per group. */
export const viewsLast = (cams: CameraTensors): CameraTensors =>
  memo(cams, 'views last', () => {
    const v = cams.views;
    const shape = [...v.slice(0, -1), 1, v[v.length - 1]];
    return mapCams(cams, (x) => x.reshape(shape), [...v]);
  });

/** Tensors of the group, for disposal and leak accounting. */
export const cameraTensorList = (c: CameraTensors): tf.Tensor[] => [...SCALARS.map((k) => c[k]), ...c.R.flat(), ...c.t];

/** Dispose a group and every layout derived from it. */
export const disposeCameras = (c: CameraTensors): void => {
  for (const d of derived.get(c)?.values() ?? []) disposeCameras(d);
  derived.delete(c);
  tf.dispose(cameraTensorList(c));
};
