/**
 * The input check (issue 16 items 7, 10, 11) on every registered loss (tests/property/inputCheckSuite.ts):
 * a bool/int32 tensor, a disposed tensor or a zero-size axis is a `LossInputError` naming the
 * loss, the key, the shape and what was expected, on both paths, with no tensor left (also when
 * a factory's second loss throws). After all of it the wasm backend still computes correct
 * losses (a bool tensor used to corrupt its memory).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { LossInputError } from '../../src/config/issues.js';
import { lossNames } from '../../src/losses/registry.js';
import { makeFactory } from '../../src/lp/factory.js';
import { evaluate, type Inputs, make } from './arbitraries.js';
import { describeInputChecks } from './inputCheckSuite.js';

describeInputChecks(lossNames());

describe('a factory checks every loss before running any', () => {
  it('the second loss rejects its input: no tensor left, inside tf.grad or not', () => {
    const factory = makeFactory([
      { name: 'heatmap_mse', loss: make('heatmap_mse'), annealed: false },
      { name: 'temporal', loss: make('temporal'), annealed: true },
    ]);
    const heat = tf.ones([3, 2, 4, 4]).mul(0.1);
    const bad = tf.ones([3, 4], 'int32');
    const n0 = tf.memory().numTensors;
    expect(() => factory({ heatmaps_targ: heat, heatmaps_pred: heat, keypoints_pred: bad })).toThrow(
      'temporal: keypoints_pred (3,4): expected dtype float32, got int32',
    );
    expect(() => tf.grad((x: tf.Tensor) => factory({ heatmaps_targ: heat, heatmaps_pred: x, keypoints_pred: bad }).total)(heat)).toThrow(LossInputError);
    expect(tf.memory().numTensors).toBe(n0);
    tf.dispose([heat, bad]);
  });
});

describe('the backend is intact after rejected inputs', () => {
  it('heatmap_mse and regression still match their tfjs-ops values', () => {
    const inputs: Inputs = {
      heatmaps_targ: { shape: [2, 1, 2, 2], data: Float32Array.from([0, 1, 0, 0, 0, 0, 1, 0]) },
      heatmaps_pred: { shape: [2, 1, 2, 2], data: Float32Array.from([0.5, 0.5, 0, 0, 0, 0, 0, 1]) },
      keypoints_targ: { shape: [1, 2], data: Float32Array.from([1, 2]) },
      keypoints_pred: { shape: [1, 2], data: Float32Array.from([4, 6]) },
    };
    // (0.25 + 0.25)·4 for the first map, (1 + 1)·4 for the second; mean over 8 pixels
    expect(evaluate(make('heatmap_mse'), inputs).loss).toBeCloseTo((0.5 * 4 + 2 * 4) / 8, 6);
    expect(evaluate(make('regression'), inputs).loss).toBeCloseTo((9 + 16) / 2, 5);
  });
});
