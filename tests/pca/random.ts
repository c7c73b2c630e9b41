import type { Matrix64 } from '../../src/pca/index.js';

/** Small deterministic PRNG (mulberry32) so fast-check only has to shrink a seed. */
export const rng = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export const gaussian = (r: () => number): number => {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
};

/**
 * Keypoint-like data: `rows` frames of `k` keypoints around an image centre, driven by a few
 * latent factors plus noise, float32 values; a fraction `nanRate` of keypoints unlabelled.
 */
export const keypointData = (seed: number, rows: number, k: number, nanRate = 0): Matrix64 => {
  const r = rng(seed);
  const d = 2 * k;
  const latent = 3;
  const base = Float64Array.from({ length: d }, () => 50 + 150 * r());
  const load = Float64Array.from({ length: latent * d }, () => 20 * gaussian(r));
  const data = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) {
    const z = [gaussian(r), gaussian(r), gaussian(r)];
    for (let c = 0; c < d; c++) {
      let v = base[c] + gaussian(r);
      for (let l = 0; l < latent; l++) v += z[l] * load[l * d + c];
      data[i * d + c] = Math.fround(v);
    }
    for (let j = 0; j < k; j++) {
      if (r() < nanRate) {
        data[i * d + 2 * j] = NaN;
        data[i * d + 2 * j + 1] = NaN;
      }
    }
  }
  return { data, rows, cols: d };
};
