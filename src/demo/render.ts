import { rng } from '../example/random.js';
import type { Nuisance } from './nuisance.js';
import { K } from './pose.js';

/**
 * Grey-scale frames of the demo animal: soft blobs for body, head, ears, nose, paws and a
 * tail, drawn over a textured background, then the frame's occluders and distractors, then
 * pixel noise. Pixel (row i, column j) has its centre at (x, y) = (j, i), the convention of
 * the gaussian_heatmaps step, so keypoints and heatmaps agree.
 */

/** Alpha-blend a rotated elliptical Gaussian blob of intensity `v` into `img` (size×size). */
const blob = (img: Float32Array, size: number, cx: number, cy: number, rx: number, ry: number, angle: number, v: number): void => {
  const reach = 3 * Math.max(rx, ry);
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  const i0 = Math.max(0, Math.floor(cy - reach));
  const i1 = Math.min(size - 1, Math.ceil(cy + reach));
  const j0 = Math.max(0, Math.floor(cx - reach));
  const j1 = Math.min(size - 1, Math.ceil(cx + reach));
  for (let i = i0; i <= i1; i++)
    for (let j = j0; j <= j1; j++) {
      const [dx, dy] = [j - cx, i - cy];
      const u = (dx * c + dy * s) / rx;
      const w = (-dx * s + dy * c) / ry;
      const a = Math.min(1, 1.4 * Math.exp(-0.5 * (u * u + w * w)));
      const p = i * size + j;
      img[p] += (v - img[p]) * a;
    }
};

/** A static background per video: a base grey with a few large faint blotches. */
export const background = (seed: number, size: number): Float32Array => {
  const r = rng(seed);
  const img = new Float32Array(size * size).fill(0.22);
  for (let n = 0; n < 6; n++)
    blob(img, size, r.next() * size, r.next() * size, 6 + r.next() * 10, 6 + r.next() * 10, r.next() * Math.PI, 0.15 + 0.2 * r.next());
  return img;
};

/** Draw the animal with keypoints `kp` (2K: x0, y0, …) into `img`. */
const drawAnimal = (img: Float32Array, size: number, kp: ArrayLike<number>): void => {
  const P = (k: number): [number, number] => [kp[2 * k], kp[2 * k + 1]];
  const [nose, earL, earR, pawFL, pawFR, pawHL, pawHR, tail] = Array.from({ length: K }, (_, k) => P(k));
  const neck: [number, number] = [(earL[0] + earR[0]) / 2 - 2, (earL[1] + earR[1]) / 2];
  const hips: [number, number] = [tail[0] + 5, (tail[1] + (pawHL[1] + pawHR[1]) / 2) / 2];
  const spine = Math.atan2(neck[1] - hips[1], neck[0] - hips[0]);
  // tail: a chain of small blobs leaving the tail base backwards, bending with the body
  for (let n = 1; n <= 6; n++) blob(img, size, tail[0] - 2.2 * n, tail[1] + 0.35 * n * (tail[1] - hips[1]), 0.9, 0.9, 0, 0.5);
  // legs: faint strokes from the body towards each paw
  for (const [paw, root] of [
    [pawFL, neck],
    [pawFR, neck],
    [pawHL, hips],
    [pawHR, hips],
  ] as const) {
    const [mx, my] = [(paw[0] + root[0]) / 2, (paw[1] + root[1]) / 2];
    const len = Math.hypot(paw[0] - root[0], paw[1] - root[1]);
    blob(img, size, mx, my, len / 3, 1, Math.atan2(paw[1] - root[1], paw[0] - root[0]), 0.42);
  }
  const body = Math.hypot(neck[0] - hips[0], neck[1] - hips[1]);
  blob(img, size, (neck[0] + hips[0]) / 2, (neck[1] + hips[1]) / 2, body / 2 + 2, 5, spine, 0.5);
  blob(img, size, tail[0], tail[1], 1.6, 1.6, 0, 0.62); // tail base: a small bump
  for (const paw of [pawFL, pawFR]) blob(img, size, paw[0], paw[1], 1.4, 1.4, 0, 0.78); // front paws: bright
  for (const paw of [pawHL, pawHR]) blob(img, size, paw[0], paw[1], 1.8, 1.8, 0, 0.7); // hind paws: larger, dimmer
  const head: [number, number] = [(nose[0] + neck[0] + 2) / 2, (nose[1] + neck[1]) / 2];
  blob(img, size, head[0], head[1], 4.5, 3.4, Math.atan2(nose[1] - neck[1], nose[0] - neck[0]), 0.58);
  for (const ear of [earL, earR]) blob(img, size, ear[0], ear[1], 1.7, 1.7, 0, 0.85);
  blob(img, size, nose[0], nose[1], 1.2, 1.2, 0, 0.97);
};

const drawNuisance = (img: Float32Array, size: number, n: Nuisance, t: number): void => {
  if (n.kind === 'distractor') {
    const [x, y] = n.at(t);
    blob(img, size, x, y, n.radius, n.radius, 0, n.intensity);
    return;
  }
  const x0 = n.x(t);
  for (let j = Math.max(0, Math.ceil(x0)); j < Math.min(size, x0 + n.width); j++) for (let i = 0; i < size; i++) img[i * size + j] = n.intensity;
};

/** One frame: background, animal, nuisances, then Gaussian pixel noise (σ `noise`), clipped to [0, 1]. */
export const renderFrame = (
  out: Float32Array,
  bg: Float32Array,
  size: number,
  kp: ArrayLike<number>,
  nuisances: readonly Nuisance[],
  t: number,
  noise: () => number,
): void => {
  out.set(bg);
  drawAnimal(out, size, kp);
  for (const n of nuisances) drawNuisance(out, size, n, t);
  for (let p = 0; p < out.length; p++) out[p] = Math.min(1, Math.max(0, out[p] + noise()));
};
