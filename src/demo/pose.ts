import { rng } from '../example/random.js';

/**
 * The demo animal's pose model: a mouse seen from above, facing right, whose K = 8 keypoints
 * are an affine function of 5 latent coordinates (two translations, a head turn, a diagonal
 * gait, a body bend). Its poses therefore span exactly a 5-dimensional affine subspace of the
 * 16 keypoint coordinates — the structure `pca_singleview` is meant to learn from labels —
 * and each latent follows a smooth curve over time — the structure `temporal` assumes.
 */

export const KEYPOINT_NAMES = ['nose', 'ear_left', 'ear_right', 'paw_front_left', 'paw_front_right', 'paw_hind_left', 'paw_hind_right', 'tail_base'] as const;
export const K = KEYPOINT_NAMES.length;
/** Number of latent pose coordinates: the true dimension of the pose space. */
export const POSE_DIM = 5;

/** Mean pose in a 64×64 frame, (x, y) per keypoint; y grows downwards, so "left" is up for a right-facing animal. */
const MEAN: readonly (readonly [number, number])[] = [
  [45, 32], // nose
  [38, 28], // ear_left
  [38, 36], // ear_right
  [34, 24], // paw_front_left
  [34, 40], // paw_front_right
  [21, 25], // paw_hind_left
  [21, 39], // paw_hind_right
  [16, 32], // tail_base
];

/** Head turn: a small rotation of nose and ears about the neck (36, 32), linearised: (dx, dy) per radian. */
const HEAD_PIVOT: readonly [number, number] = [36, 32];
const turn = (k: number): [number, number] => (k <= 2 ? [-(MEAN[k][1] - HEAD_PIVOT[1]), MEAN[k][0] - HEAD_PIVOT[0]] : [0, 0]);

/** The 5 modes as (K, 2) displacement fields per unit of latent. */
const MODES: readonly ((k: number) => [number, number])[] = [
  () => [1, 0], // translate x (pixels)
  () => [0, 1], // translate y (pixels)
  turn, // head turn (radians)
  (k) => [[3, 6].includes(k) ? 1 : [4, 5].includes(k) ? -1 : 0, 0], // diagonal gait: front-left with hind-right (pixels)
  (k) => [0, k === 7 ? 1 : k === 5 || k === 6 ? 0.5 : 0], // body bend: hips and tail base swing sideways (pixels)
];

/** Scale of each latent: translations ±6/±4 px, head turn ±0.7 rad (nose ±6.3 px), gait ±4.5 px, bend ±9 px (tail base); each mode keeps > 1% of the pose variance, so a 0.99 PCA finds all five. */
const AMPLITUDE = [6, 4, 0.7, 4.5, 9];
/** Periods (frames) each latent's sinusoids are drawn from: slow wandering, a quick stride, moderate head and body motion. */
const PERIODS: readonly (readonly [number, number])[] = [
  [90, 220],
  [70, 180],
  [40, 90],
  [18, 26],
  [35, 70],
];

/** Keypoints (2K, as x0, y0, x1, y1, …) of latent z. */
export const poseOf = (z: readonly number[]): number[] => {
  const out = new Array<number>(2 * K);
  for (let k = 0; k < K; k++) {
    let x = MEAN[k][0];
    let y = MEAN[k][1];
    for (let i = 0; i < POSE_DIM; i++) {
      const [dx, dy] = MODES[i](k);
      x += z[i] * dx;
      y += z[i] * dy;
    }
    out[2 * k] = x;
    out[2 * k + 1] = y;
  }
  return out;
};

/**
 * A smooth latent trajectory (frames × POSE_DIM): each latent a sum of two sinusoids of random
 * period (within its range), phase and mix, scaled to its amplitude; the gait's amplitude
 * itself breathes slowly, so the animal sometimes stands and sometimes trots.
 */
export const latentTrajectory = (seed: number, frames: number): number[][] => {
  const r = rng(seed);
  const curves = PERIODS.map(([lo, hi], i) => {
    const comps = [0, 1].map(() => ({ period: lo + r.next() * (hi - lo), phase: r.next() * 2 * Math.PI }));
    const mix = 0.55 + 0.3 * r.next();
    const envelope = { period: 150 + r.next() * 150, phase: r.next() * 2 * Math.PI };
    return (t: number) => {
      const s =
        mix * Math.sin((2 * Math.PI * t) / comps[0].period + comps[0].phase) + (1 - mix) * Math.sin((2 * Math.PI * t) / comps[1].period + comps[1].phase);
      const env = i === 3 ? 0.65 + 0.35 * Math.sin((2 * Math.PI * t) / envelope.period + envelope.phase) : 1;
      return AMPLITUDE[i] * env * s;
    };
  });
  return Array.from({ length: frames }, (_, t) => curves.map((c) => c(t)));
};

/** Keypoints (frames × 2K, row-major) of a trajectory. */
export const keypointsOf = (traj: readonly (readonly number[])[]): Float64Array => {
  const out = new Float64Array(traj.length * 2 * K);
  traj.forEach((z, t) => out.set(poseOf(z), t * 2 * K));
  return out;
};
