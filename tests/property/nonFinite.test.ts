/**
 * Non-finite inputs (issue 16 item 8), one rule on both paths (README "How a pipeline runs"), on
 * every registered loss (tests/property/nonFiniteSuite.ts): the fused kernel and the tfjs-ops
 * path agree on finiteness, value and gradients when one prediction element is NaN, ±Infinity or
 * ±1e30; a non-finite loss has an all-NaN gradient; no call leaves a tensor behind.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLossOrThrow, lossNames } from '../../src/losses/registry.js';
import { type AnyLoss, close, gradients, type Inputs, lossOf, make, runs, unfused } from './arbitraries.js';
import { BAD, describeNonFinite } from './nonFiniteSuite.js';

describeNonFinite(lossNames());

describe('the rule holds when the differentiated function disposes the loss itself', () => {
  it.each([true, false])('regression, tf.grad of tf.tidy(() => weighted) (fused %s): all NaN, nothing left', (isFused) => {
    const loss = isFused ? make('regression') : unfused(make('regression'));
    const t = tf.tensor2d([[1, 2, 3, 4]]);
    const p = tf.tensor2d([[NaN, 2, 3, 5]]);
    const n0 = tf.memory().numTensors;
    const g = tf.grad((x: tf.Tensor) => tf.tidy(() => loss({ keypoints_targ: t, keypoints_pred: x }).weighted))(p);
    expect(Array.from(g.dataSync()).every(Number.isNaN)).toBe(true);
    g.dispose();
    expect(tf.memory().numTensors).toBe(n0);
    tf.dispose([t, p]);
  });
});

describe('PCA losses on labels at pixel scale (the registry-wide property above draws small ones): a huge or non-finite prediction element, fused and tfjs-ops paths agree', () => {
  // labels on a 3-D family of poses of 4 keypoints (8 columns), so both PCA forms fit
  const rows = 40;
  const labels = {
    data: Float64Array.from({ length: rows * 8 }, (_, i) => {
      const [r, c] = [Math.floor(i / 8), i % 8];
      return 100 + 30 * Math.sin(r * 0.7 + c) + 20 * Math.cos(r * 1.3 + 2 * c) + 10 * Math.sin(r * 2.1 - c);
    }),
    rows,
    cols: 8,
  };
  const params = {
    pca_singleview: { log_weight: 0, components_to_keep: 3, epsilon: 0.5 },
    pca_multiview: {
      log_weight: 0,
      mirrored_column_matches: [
        [0, 1],
        [2, 3],
      ],
      epsilon: 0.5,
    },
  } as const;
  it.each(Object.keys(params) as (keyof typeof params)[])('%s', (name) => {
    const build = (fused: boolean) => createLossOrThrow(name, params[name] as never, { labels, fused }) as AnyLoss;
    const [fused, ops] = [build(true), build(false)];
    expect(fused.kernel).not.toBeNull();
    fc.assert(
      fc.property(fc.nat(23), fc.constantFrom(...BAD), (at, bad) => {
        const data = Float32Array.from({ length: 24 }, (_, i) => 100 + 25 * Math.sin(i * 1.7));
        data[at] = bad;
        const inputs: Inputs = { keypoints_pred: { shape: [3, 8], data } };
        const [vf, vo] = [lossOf(fused, inputs), lossOf(ops, inputs)];
        expect(Number.isFinite(vf), `finite? fused ${vf}, tfjs ops ${vo}`).toBe(Number.isFinite(vo));
        if (Number.isFinite(vf)) expect(close(vf, vo, 1e-4, 1e-6), `value: fused ${vf}, tfjs ops ${vo}`).toBe(true);
        const [gf, go] = [gradients(fused, inputs).keypoints_pred, gradients(ops, inputs).keypoints_pred];
        if (!Number.isFinite(vf)) expect(gf.every(Number.isNaN) && go.every(Number.isNaN)).toBe(true);
        else for (let i = 0; i < gf.length; i++) expect(close(gf[i], go[i], 1e-3, 1e-6), `grad[${i}]: fused ${gf[i]}, tfjs ops ${go[i]}`).toBe(true);
      }),
      runs(20),
    );
  });
});

describe('regression (found by the registry-wide property above with random seeds): reproject_views on the tfjs-ops path', () => {
  // B = 2 frames, V = 3 views, K = 1; frame 0 is confident in view 2 only (0.05 is not below 0.05), so its keypoint is not
  // triangulated and every term it feeds is masked: its gradient should be 0 (D2), as the fused kernel gives. The tfjs-ops
  // path gave NaN at the ±1e30 coordinate (its square overflowed float32 inside the undistortion's backward pass); a keypoint
  // seen in fewer than 2 views is now left out before the undistortion.
  const cam = (name: string, yaw: number) => ({
    name,
    size: [1000, 800] as [number, number],
    matrix: [
      [800, 0, 500],
      [0, 800, 400],
      [0, 0, 1],
    ],
    distortions: [0, 0, 0, 0, 0],
    rotation: [0, yaw, 0],
    translation: [0, 0, 6],
  });
  const cameras = [cam('cam0', -0.6), cam('cam1', 0), cam('cam2', 0.6)];
  const inputs: Inputs = {
    keypoints_pred_views: { shape: [2, 3, 1, 2], data: Float32Array.from([0, 0, 0, 0, -1e30, 0, 0, 0, NaN, NaN, 0, 0]) },
    confidences_views: { shape: [2, 3, 1], data: Float32Array.from([0, 0, 0.05, 0, 0, 0]) },
  };
  it('cycle_reprojection: a ±1e30 coordinate of a keypoint that is not triangulated gets gradient 0 on both paths', () => {
    const build = (fused: boolean) => createLossOrThrow('cycle_reprojection', {}, { cameras, fused }) as AnyLoss;
    const [fused, ops] = [build(true), build(false)];
    expect(Number.isFinite(lossOf(fused, inputs)) && Number.isFinite(lossOf(ops, inputs))).toBe(true);
    expect(gradients(fused, inputs).keypoints_pred_views[4]).toBe(0);
    expect(gradients(ops, inputs).keypoints_pred_views[4]).toBe(0);
  });
});
