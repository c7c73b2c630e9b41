import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { readDemoConfig } from '../../src/demo/config.js';
import { DEFAULT_DATA, disturbedFrames, labelsOf, makeDemoData } from '../../src/demo/dataset.js';
import { K, POSE_DIM } from '../../src/demo/pose.js';
import { fitKeypointPca } from '../../src/pca/index.js';

const small = { ...DEFAULT_DATA, trainFrames: 300, testFrames: 60 };
const allPca = (data: Float64Array, rows: number, f = 0.99) =>
  fitKeypointPca(
    { data, rows, cols: 2 * K },
    { format: { kind: 'singleview', columns: null, centering: null }, componentsToKeep: { kind: 'fraction', f }, percentile: 99 },
  );

describe('demo dataset', () => {
  it('is deterministic by seed', () => {
    const a = makeDemoData({ ...small, seed: 4 });
    const b = makeDemoData({ ...small, seed: 4 });
    const c = makeDemoData({ ...small, seed: 5 });
    expect(a.train.pixels).toEqual(b.train.pixels);
    expect(a.test.keypoints).toEqual(b.test.keypoints);
    expect(a.labeled).toEqual(b.labeled);
    expect(a.train.pixels).not.toEqual(c.train.pixels);
    expect(a.train.keypoints).not.toEqual(c.train.keypoints);
  });

  it('has frames in [0, 1], keypoints inside the frame, distinct sorted labeled frames, a separate held-out video', () => {
    const d = makeDemoData({ ...small, seed: 0 });
    expect(d.train.pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(d.train.keypoints.every((v) => v > 2 && v < d.size - 2)).toBe(true);
    expect(new Set(d.labeled).size).toBe(small.labeledFrames);
    expect([...d.labeled].sort((x, y) => x - y)).toEqual(d.labeled);
    expect(d.test.keypoints.slice(0, 2 * K)).not.toEqual(d.train.keypoints.slice(0, 2 * K));
  });

  it('has occluders and distractors in some frames but not most', () => {
    const d = makeDemoData({ ...DEFAULT_DATA, seed: 0 });
    const kinds = new Set(d.train.events.map((e) => e.nuisance.kind));
    expect(kinds).toEqual(new Set(['occluder', 'distractor']));
    const frac = disturbedFrames(d.train).filter(Boolean).length / d.train.frames;
    expect(frac).toBeGreaterThan(0.1);
    expect(frac).toBeLessThan(0.6);
  });

  it(`poses are ${POSE_DIM}-dimensional: ${POSE_DIM} principal components explain > 99.99% of the true keypoints`, () => {
    for (const seed of [0, 1, 2]) {
      const d = makeDemoData({ ...small, seed });
      const fit = allPca(d.train.keypoints, d.train.frames);
      expect(either.isRight(fit)).toBe(true);
      if (either.isLeft(fit)) return;
      const r = fit.right.explainedVarianceRatio;
      const cum = Array.from(r).reduce<number[]>((acc, v) => [...acc, (acc.at(-1) ?? 0) + v], []);
      expect(cum[POSE_DIM - 1], `seed ${seed}`).toBeGreaterThan(0.9999);
      expect(cum[POSE_DIM - 2], `seed ${seed}: fewer components do not suffice`).toBeLessThan(0.995);
    }
  });

  it("the labeled frames alone recover the dimension with the config's components_to_keep", () => {
    const f = (readDemoConfig().raw.losses as { pca_singleview: { components_to_keep: number } }).pca_singleview.components_to_keep;
    expect(typeof f).toBe('number');
    for (const seed of [0, 1, 2, 3]) {
      const d = makeDemoData({ ...DEFAULT_DATA, seed });
      const l = labelsOf(d.train, d.labeled);
      const fit = allPca(l.data, l.rows, f);
      expect(either.isRight(fit) && fit.right.nKept, `seed ${seed}`).toBe(POSE_DIM);
    }
  });

  it("moves smoothly: no keypoint moves more than the temporal loss's epsilon between frames", () => {
    const eps = (readDemoConfig().raw.losses as { temporal: { epsilon: number } }).temporal.epsilon;
    const d = makeDemoData({ ...DEFAULT_DATA, seed: 0 });
    let max = 0;
    const kp = d.train.keypoints;
    for (let t = 1; t < d.train.frames; t++)
      for (let k = 0; k < K; k++)
        max = Math.max(max, Math.hypot(kp[t * 2 * K + 2 * k] - kp[(t - 1) * 2 * K + 2 * k], kp[t * 2 * K + 2 * k + 1] - kp[(t - 1) * 2 * K + 2 * k + 1]));
    expect(max).toBeGreaterThan(0.5);
    expect(max).toBeLessThan(eps);
  });
});
