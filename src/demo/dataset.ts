import { rng } from '../example/random.js';
import type { Labels } from '../pipeline/step.js';
import { activeAt, type Event, scheduleEvents } from './nuisance.js';
import { K, keypointsOf, latentTrajectory } from './pose.js';
import { background, renderFrame } from './render.js';

/**
 * The demo's synthetic data, generated (nothing downloaded) and deterministic by seed:
 * a training video whose few labeled frames the trainer sees with their keypoints (the rest
 * unlabeled), and a separate held-out video, never trained on, whose true keypoints measure
 * error.
 */

export interface Video {
  readonly frames: number;
  readonly size: number;
  /** frames × size × size, row-major, grey levels in [0, 1]. */
  readonly pixels: Float32Array;
  /** True keypoints, frames × 2K (x0, y0, x1, y1, …) in pixels. */
  readonly keypoints: Float64Array;
  readonly events: readonly Event[];
}

export interface DemoData {
  readonly size: number;
  readonly keypoints: number;
  readonly train: Video;
  /** Indices of the labeled frames of the training video (sorted). */
  readonly labeled: readonly number[];
  readonly test: Video;
}

export interface DataOptions {
  readonly seed: number;
  readonly size: number;
  readonly trainFrames: number;
  readonly testFrames: number;
  readonly labeledFrames: number;
  /** Per-pixel Gaussian noise. */
  readonly noise: number;
}

export const DEFAULT_DATA: Omit<DataOptions, 'seed'> = { size: 64, trainFrames: 1000, testFrames: 400, labeledFrames: 40, noise: 0.05 };

/** One video: a smooth pose trajectory rendered with its occluders, distractors and noise. */
export const makeVideo = (seed: number, frames: number, size: number, noise: number): Video => {
  const keypoints = keypointsOf(latentTrajectory(seed, frames));
  const events = scheduleEvents(seed + 1, frames, size);
  const bg = background(seed + 2, size);
  const r = rng(seed + 3);
  const pixels = new Float32Array(frames * size * size);
  const frame = new Float32Array(size * size);
  for (let t = 0; t < frames; t++) {
    renderFrame(frame, bg, size, keypoints.subarray(t * 2 * K, (t + 1) * 2 * K), activeAt(events, t), t, () => noise * r.normal());
    pixels.set(frame, t * size * size);
  }
  return { frames, size, pixels, keypoints, events };
};

/** `n` distinct frame indices of 0..frames−1, sorted (partial Fisher–Yates). */
const sample = (seed: number, frames: number, n: number): number[] => {
  const r = rng(seed);
  const idx = Array.from({ length: frames }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(r.next() * (frames - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, n).sort((a, b) => a - b);
};

/** The training video (with its labeled frames) and the held-out video, from different seeds. */
export const makeDemoData = (o: DataOptions): DemoData => {
  if (o.labeledFrames > o.trainFrames) throw new RangeError(`labeledFrames ${o.labeledFrames} > trainFrames ${o.trainFrames}`);
  const train = makeVideo(o.seed * 7919 + 11, o.trainFrames, o.size, o.noise);
  const test = makeVideo(o.seed * 7919 + 101, o.testFrames, o.size, o.noise);
  return { size: o.size, keypoints: K, train, labeled: sample(o.seed * 7919 + 5, o.trainFrames, o.labeledFrames), test };
};

/** Keypoints of the given frames of a video, as the Labels a PCA loss is fitted from. */
export const labelsOf = (v: Video, frames: readonly number[]): Labels => {
  const cols = 2 * K;
  const data = new Float64Array(frames.length * cols);
  frames.forEach((f, i) => data.set(v.keypoints.subarray(f * cols, (f + 1) * cols), i * cols));
  return { data, rows: frames.length, cols };
};

/** Per frame: does it have an occluder or distractor? */
export const disturbedFrames = (v: Video): boolean[] => Array.from({ length: v.frames }, (_, t) => activeAt(v.events, t).length > 0);
