import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { buildPipeline } from '../../src/losses/build.js';
import type { Loss } from '../../src/pipeline/loss.js';
import type { BuiltCompute, StepDef, StepSpec } from '../../src/pipeline/step.js';
import { squaredError } from '../../src/steps/compute/elementwise.js';
import { registerStep } from '../../src/steps/registry.js';

const build = (pl: StepSpec[], fused = true): Loss => {
  const r = buildPipeline('user', 0, pl, { fused });
  if (either.isLeft(r)) throw new Error(JSON.stringify(r.left));
  return r.right;
};

const valueAndGrads = (loss: Loss, inputs: Record<string, tf.Tensor>) => {
  const keys = loss.predictions;
  let out = { keys, value: NaN, grads: [] as number[][] };
  tf.tidy(() => {
    const value = loss(inputs).loss.dataSync()[0];
    const grads = tf.grads((...xs: tf.Tensor[]) => loss({ ...inputs, ...Object.fromEntries(keys.map((k, i) => [k, xs[i]])) }).loss)(keys.map((k) => inputs[k]));
    out = { keys, value, grads: grads.map((g) => Array.from(g.dataSync())) };
  });
  return out;
};

describe('kernels follow declarations, not names or positions (issue 12)', () => {
  it('a user step registered over a built-in name with override runs its own formula: 3·d² gives 7.5, not the built-in kernel’s 2.5', () => {
    const tripled: typeof squaredError = {
      ...squaredError,
      doc: '3·(t − p)²',
      build: (p, ctx, sofar) =>
        either.map((b) => {
          const c = b as BuiltCompute;
          // the user's own step: its own formula and no fusion declaration
          return {
            phase: 'compute',
            name: c.name,
            of: c.of,
            roles: c.roles,
            layout: c.layout,
            check: c.check,
            apply: (xs) => c.apply(xs).mul(3),
          } satisfies BuiltCompute;
        })(squaredError.build(p, ctx, sofar)),
    };
    expect(() => registerStep(tripled)).toThrow(/compute step 'squared_error' is already registered/);
    const pl: StepSpec[] = [{ compute: 'squared_error', of: ['keypoints_targ', 'keypoints_pred'] }, { reduce: 'mean' }];
    // d = (1, 2): built-in mean of d² = 2.5; the user's 3·d² = 7.5
    const inputs = { keypoints_targ: tf.tensor2d([[1, 2]]), keypoints_pred: tf.tensor2d([[0, 0]]) };
    expect(build(pl).kernel).toBe('keypoints');
    expect(build(pl)(inputs).loss.dataSync()[0]).toBeCloseTo(2.5, 5);
    registerStep(tripled, { override: true });
    try {
      const fused = build(pl);
      expect(fused.kernel).toBeNull();
      expect(fused(inputs).loss.dataSync()[0]).toBeCloseTo(7.5, 5);
      expect(build(pl, false)(inputs).loss.dataSync()[0]).toBeCloseTo(7.5, 5);
    } finally {
      registerStep(squaredError, { override: true });
    }
    expect(build(pl).kernel).toBe('keypoints');
    tf.dispose(Object.values(inputs));
  });

  it('heatmap_mse of [heatmaps_pred, heatmaps_targ]: the gradient goes to heatmaps_pred, fused or not, with the tfjs-ops values', () => {
    const inputs = { heatmaps_targ: tf.randomUniform([2, 3, 4, 5], 0, 1, 'float32', 1), heatmaps_pred: tf.randomUniform([2, 3, 4, 5], 0, 1, 'float32', 2) };
    for (const compute of ['heatmap_mse', 'heatmap_kl', 'squared_error']) {
      const swapped: StepSpec[] = [{ compute, of: ['heatmaps_pred', 'heatmaps_targ'] }, { reduce: 'mean' }];
      const fused = valueAndGrads(build(swapped), inputs);
      const ref = valueAndGrads(build(swapped, false), inputs);
      expect(fused.keys).toEqual(['heatmaps_pred']);
      expect(fused.value).toBeCloseTo(ref.value, 4);
      expect(fused.grads[0].length).toBe(2 * 3 * 4 * 5);
      fused.grads[0].forEach((g, i) => expect(g).toBeCloseTo(ref.grads[0][i], 4));
      expect(fused.grads[0].some((g) => g !== 0)).toBe(true);
    }
    // in the declared order the kernel runs
    expect(build([{ compute: 'heatmap_mse', of: ['heatmaps_targ', 'heatmaps_pred'] }, { reduce: 'mean' }]).kernel).toBe('heatmap');
    tf.dispose(Object.values(inputs));
  });

  it('keypoint kernels give gradients to every prediction input whatever its position in `of`', () => {
    const inputs = { keypoints_pred: tf.tensor2d([[1, 2, 3, 4]]), keypoints_pred_augmented: tf.tensor2d([[0, 1, 5, 2]]) };
    const pl: StepSpec[] = [{ compute: 'huber', of: ['keypoints_pred_augmented', 'keypoints_pred'], delta: 1.5 }, { reduce: 'mean' }];
    const fused = build(pl);
    expect(fused.kernel).toBe('keypoints');
    const a = valueAndGrads(fused, inputs);
    const b = valueAndGrads(build(pl, false), inputs);
    expect(a.keys).toEqual(['keypoints_pred_augmented', 'keypoints_pred']);
    expect(a.value).toBeCloseTo(b.value, 5);
    a.grads.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(b.grads[i][j], 5)));
    tf.dispose(Object.values(inputs));
  });
});
