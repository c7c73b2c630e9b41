/**
 * Deterministic, seeded generators of realistic loss inputs, as plain arrays (no tensors):
 * normalised heatmaps with missing keypoints (all-zero target maps), keypoints from a
 * low-dimensional 3-D pose model seen by a mirror rig (top and bottom views), random walks
 * in pixels for temporal losses, confidences in [0, 1].
 */

import type { Camera } from '../src/config/calibration.js';
import { type Rng, rng } from '../src/example/random.js';
import { projectRef } from '../src/geometry/reference.js';
import { rodrigues } from '../src/geometry/rotation.js';

export { type Rng, rng };

export const K = 17;
/** Keypoints matched between the top (0..7) and bottom (8..15) views; keypoint 16 has no pair. */
export const MIRRORED_COLUMN_MATCHES = [
  [0, 1, 2, 3, 4, 5, 6, 7],
  [8, 9, 10, 11, 12, 13, 14, 15],
];

/** Per frame, `missing` distinct keypoints flagged as unlabeled: (frames·k) of 0/1. */
export const missingKeypoints = (r: Rng, frames: number, k: number, missing: number): Uint8Array => {
  const m = new Uint8Array(frames * k);
  for (let f = 0; f < frames; f++) {
    let left = missing;
    while (left > 0) {
      const j = r.int(k);
      if (!m[f * k + j]) (m[f * k + j] = 1), left--;
    }
  }
  return m;
};

export const uniform01 = (r: Rng, n: number): Float32Array => Float32Array.from({ length: n }, () => r.uniform());

/**
 * A random walk of `k` keypoints over `frames` frames in an image of `size`×`size` pixels,
 * steps N(0, step²) per coordinate, reflected at the borders: (frames, 2k) as x0, y0, x1, ...
 */
export const randomWalk = (r: Rng, frames: number, k: number, size: number, step: number): Float32Array => {
  const out = new Float32Array(frames * 2 * k);
  const margin = size * 0.1;
  const reflect = (v: number): number => (v < margin ? 2 * margin - v : v > size - margin ? 2 * (size - margin) - v : v);
  for (let c = 0; c < 2 * k; c++) out[c] = margin + r.uniform() * (size - 2 * margin);
  for (let f = 1; f < frames; f++) for (let c = 0; c < 2 * k; c++) out[f * 2 * k + c] = reflect(out[(f - 1) * 2 * k + c] + step * r.normal());
  return out;
};

/** `x + N(0, sd²)` elementwise. */
export const jitter = (r: Rng, x: Float32Array, sd: number): Float32Array => x.map((v) => v + sd * r.normal());

/** Copy of flat keypoints (frames, 2k) with the missing keypoints' x and y set to NaN. */
export const withNaN = (x: Float32Array, missing: Uint8Array): Float32Array => {
  const out = Float32Array.from(x);
  for (let i = 0; i < missing.length; i++) if (missing[i]) out[2 * i] = out[2 * i + 1] = NaN;
  return out;
};

export interface HeatmapOptions {
  /** Gaussian width in heatmap pixels. */
  readonly sigma: number;
  /** Added to every pixel before normalising (a softmax head never outputs exact zeros). */
  readonly floor: number;
  /** Image pixels per heatmap pixel. */
  readonly scale: number;
}

/**
 * Gaussian heatmaps at flat keypoints (frames, 2k) in image pixels, each map normalised to
 * sum 1; a missing keypoint gets an all-zero map: (frames, k, h, w) row-major.
 */
export const heatmaps = (kps: Float32Array, frames: number, k: number, h: number, w: number, o: HeatmapOptions, missing?: Uint8Array): Float32Array => {
  const out = new Float32Array(frames * k * h * w);
  const gx = new Float64Array(w);
  const gy = new Float64Array(h);
  for (let m = 0; m < frames * k; m++) {
    if (missing?.[m]) continue;
    const cx = kps[2 * m] / o.scale;
    const cy = kps[2 * m + 1] / o.scale;
    for (let x = 0; x < w; x++) gx[x] = Math.exp(-((x - cx) ** 2) / (2 * o.sigma ** 2));
    for (let y = 0; y < h; y++) gy[y] = Math.exp(-((y - cy) ** 2) / (2 * o.sigma ** 2));
    let sum = 0;
    const base = m * h * w;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) sum += out[base + y * w + x] = gy[y] * gx[x] + o.floor;
    if (sum === 0) continue; // keypoint far outside the map, no floor: leave it empty
    for (let i = base; i < base + h * w; i++) out[i] /= sum;
  }
  return out;
};

/**
 * A low-dimensional 3-D pose model (17 points, 4 latent factors, 1 px noise) of a mouse
 * in a mirror rig: keypoints 0..7 are points 0..7 seen from the top (x, y), 8..15 the same
 * points in the bottom view (x, z + 150), 16 a lone point; all in a 256×256 image.
 * The model (means, loadings) comes from `structure`, the same by default for every
 * caller, so PCA labels and predictions share it; samples come from `r`.
 */
export const poseModel = (r: Rng, structure: Rng = rng(7)) => {
  const LATENT = 4;
  const mean = Array.from({ length: K }, () => [70 + structure.uniform() * 120, 30 + structure.uniform() * 60, 10 + structure.uniform() * 50]);
  const load = Array.from({ length: K * 3 }, () => Array.from({ length: LATENT }, () => 12 * structure.normal()));
  const points3d = (noise: number): Float32Array => {
    const z = Array.from({ length: LATENT }, () => r.normal());
    const p = new Float32Array(K * 3);
    for (let i = 0; i < K * 3; i++) {
      let v = mean[Math.floor(i / 3)][i % 3] + noise * r.normal();
      for (let l = 0; l < LATENT; l++) v += load[i][l] * z[l];
      p[i] = v;
    }
    return p;
  };
  const view = (p: Float32Array): Float32Array => {
    const out = new Float32Array(2 * K);
    for (let k = 0; k < K; k++) {
      const q = k >= 8 && k < 16 ? k - 8 : k;
      out[2 * k] = p[3 * q];
      out[2 * k + 1] = k >= 8 && k < 16 ? p[3 * q + 2] + 150 : p[3 * q + 1];
    }
    return out;
  };
  return {
    /** (frames, 3K): the 3-D points. */
    points3d: (frames: number): Float32Array => {
      const out = new Float32Array(frames * 3 * K);
      for (let f = 0; f < frames; f++) out.set(points3d(1), f * 3 * K);
      return out;
    },
    /** (frames, 2K) flat 2-D keypoints in pixels. */
    keypoints: (frames: number): Float32Array => {
      const out = new Float32Array(frames * 2 * K);
      for (let f = 0; f < frames; f++) out.set(view(points3d(1)), f * 2 * K);
      return out;
    },
  };
};

/**
 * PCA training labels (rows, 2K) as float64: the pose model; 10% of rows miss one keypoint
 * (NaN), so the fit sees gaps but most rows are complete (the empirical epsilon needs some).
 */
export const pcaLabels = (seed: number, rows = 1000): { data: Float64Array; rows: number; cols: number } => {
  const r = rng(seed);
  const kp = poseModel(r).keypoints(rows);
  const data = Float64Array.from(kp);
  for (let f = 0; f < rows; f++)
    if (r.uniform() < 0.1) {
      const k = r.int(K);
      data[f * 2 * K + 2 * k] = data[f * 2 * K + 2 * k + 1] = NaN;
    }
  return { data, rows, cols: 2 * K };
};

/**
 * The bench's 3-camera rig: cameras 600 units from the pose model's centre (130, 60, 35), turned
 * −0.5, 0, 0.5 rad about y, f = 800 px, 512×512 images, mild barrel distortion. bench/peer/run.py
 * builds the same rig.
 */
export const RIG: Camera[] = [-0.5, 0, 0.5].map((yaw, i) => {
  const R = rodrigues([0, yaw, 0]);
  const c = [130, 60, 35];
  return {
    name: `cam${i}`,
    size: [512, 512],
    matrix: [
      [800, 0, 256],
      [0, 800, 256],
      [0, 0, 1],
    ],
    distortions: [-0.05, 0.01, 0, 0, 0],
    rotation: [0, yaw, 0],
    translation: [0, 1, 2].map((j) => -(R[j][0] * c[0] + R[j][1] * c[1] + R[j][2] * c[2]) + (j === 2 ? 600 : 0)),
  };
});

/**
 * Per-view predictions (b, V, K, 2): the pose model's 3-D points projected into every camera of
 * RIG (float64) + 2 px noise per coordinate (draws in f, v, k, x/y order), then per-view
 * confidences uniform in [0, 1) (f, v, k order).
 */
export const multiviewPredictions = (r: Rng, b: number): { views: Float32Array; conf: Float32Array } => {
  const views = projectedViews(r, poseModel(r).points3d(b), b);
  return { views, conf: uniform01(r, b * RIG.length * K) };
};

/** 3-D points (b, K, 3) projected into every camera of RIG (float64) + 2 px noise per coordinate (draws in f, v, k, x/y order): (b, V, K, 2). */
export const projectedViews = (r: Rng, pts: Float32Array | Float64Array, b: number): Float32Array => {
  const V = RIG.length;
  const views = new Float32Array(b * V * K * 2);
  for (let f = 0; f < b; f++)
    for (let v = 0; v < V; v++)
      for (let k = 0; k < K; k++) {
        const o = 3 * (f * K + k);
        const [u, w] = projectRef([pts[o], pts[o + 1], pts[o + 2]], RIG[v]);
        views[((f * V + v) * K + k) * 2] = u + 2 * r.normal();
        views[((f * V + v) * K + k) * 2 + 1] = w + 2 * r.normal();
      }
  return views;
};
