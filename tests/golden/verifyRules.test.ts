import { describe, expect, it } from 'vitest';
import { caseTol, compareComponents, eigenGroups, ulpF32 } from '../../src/verify/compare.js';
import type { GoldenCase, JsonTensor } from '../../src/verify/format.js';
import { runCase } from '../../src/verify/index.js';

const t = (shape: number[], data: (number | null)[]): JsonTensor => ({ shape, data });

/** A factory case over a small config, with only the expectations a test names. */
const factoryCase = (
  config: unknown,
  factory: 'supervised' | 'unsupervised',
  inputs: Record<string, JsonTensor>,
  expected: Record<string, unknown>,
): GoldenCase => ({
  case: 'synthetic',
  loss: 'factory',
  params: { config, factory, anneal_weight: 1 },
  stage: 'train',
  inputs,
  expected,
});

const heatmapInputs = {
  heatmaps_targ: t([1, 2, 2, 2], [0, 1, 0, 0, 0, 0, 1, 0]),
  heatmaps_pred: t([1, 2, 2, 2], [0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5]),
  keypoints_pred: t([1, 4], [1, 2, 3, 4]),
};
const heatmapConfig = { model: { model_type: 'heatmap', heatmap_loss_type: 'mse', losses_to_use: [] }, data: { num_keypoints: 2 }, losses: {} };

describe('verify: the vectors README rules', () => {
  it('a factory gradient w.r.t. a prediction no selected loss reads is zero (and is compared)', () => {
    const zero = factoryCase(heatmapConfig, 'supervised', heatmapInputs, { grads: { keypoints_pred: t([1, 4], [0, 0, 0, 0]) } });
    expect(runCase(zero)).toEqual({ ok: true });
    const wrong = factoryCase(heatmapConfig, 'supervised', heatmapInputs, { grads: { keypoints_pred: t([1, 4], [0, 0, 1, 0]) } });
    expect(runCase(wrong)).toMatchObject({ ok: false, message: expect.stringMatching(/grads\.keypoints_pred\[2\]: expected 1, got 0/) });
  });

  it('an instance epsilon may be a TENSOR object as well as a plain list', () => {
    const config = {
      model: { model_type: 'heatmap', heatmap_loss_type: 'mse', losses_to_use: ['temporal'] },
      data: { num_keypoints: 2 },
      losses: { temporal: { log_weight: 0, epsilon: [1, 2], prob_threshold: 0 } },
    };
    const inputs = { keypoints_pred: t([2, 4], [0, 0, 1, 1, 3, 4, 1, 1]) };
    const inst = (epsilon: unknown) => factoryCase(config, 'unsupervised', inputs, { instances: { temporal: { weight: 0.5, epsilon } } });
    expect(runCase(inst([1, 2]))).toEqual({ ok: true });
    expect(runCase(inst(t([2], [1, 2])))).toEqual({ ok: true });
    expect(runCase(inst(t([2], [1, 3])))).toMatchObject({ ok: false, message: expect.stringMatching(/instances\.temporal\.epsilon\[1\]/) });
  });

  it('fitted cases get 4 ulp of the largest fit coordinate; gradients 1e-6 of their largest entry', () => {
    expect(ulpF32(1)).toBe(2 ** -23);
    expect(ulpF32(1300)).toBe(2 ** -13);
    expect(caseTol([1300, -5, null]).value.atol).toBeCloseTo(4 * 2 ** -13, 12);
    expect(caseTol(undefined).value.atol).toBe(1e-6);
    expect(caseTol(undefined).grad([1e8, null, -3]).atol).toBeCloseTo(100, 9);
    expect(caseTol(undefined).grad([0.5]).atol).toBe(1e-6);
  });

  it('components of equal or near-zero eigenvalues are compared as the subspace they span', () => {
    expect(eigenGroups([5, 2, 2 + 1e-6, 0, 1e-7], 5)).toEqual([[0], [1, 2], [3, 4]]);
    const c = Math.SQRT1_2;
    const expected = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const rotated = [1, 0, 0, 0, c, c, 0, -c, c]; // rows 1, 2 rotated within their plane
    expect(compareComponents('pc', rotated, expected, 3, [3, 1, 1], 3, 1e-4)).toBeNull();
    expect(compareComponents('pc', rotated, expected, 3, [3, 2, 1], 3, 1e-4)).toMatch(/pc row 1/);
    expect(compareComponents('pc', [-1, 0, 0, 0, -1, 0, 0, 0, 1], expected, 3, [3, 2, 1], 3, 1e-4)).toBeNull(); // signs
    expect(compareComponents('pc', [1, 0, 0, 0, 1, 0, 0, 0.1, 0.99], expected, 3, [3, 1, 1], 3, 1e-4)).toMatch(/as a subspace/);
  });
});
