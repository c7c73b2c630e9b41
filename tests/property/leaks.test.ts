/**
 * Purity: a call leaves the engine's tensor count as it found it (once the caller disposes
 * what it got back), so does a full `tf.grads`, so does a call that throws; and the inputs
 * are neither disposed nor changed.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOSS_NAMES, dimsArb, disposeResult, keypointsArb, lossCaseArb, make, num, pipeline, predictionKeys, runs, tensorsOf, type AnyLoss, type Inputs } from './arbitraries.js';
import { ELEMENT_STEPS, KEYPOINT_STEPS, stepSpecs } from './reference.js';

const count = (): number => tf.memory().numTensors;

/** Call, read, dispose; then tf.grads and dispose; then a throwing call — the count never moves. */
const checkNoLeaks = (loss: AnyLoss, inputs: Inputs): void => {
  const ts = tensorsOf(inputs);
  const before = Object.fromEntries(Object.entries(ts).map(([k, t]) => [k, Float32Array.from(t.dataSync())]));
  try {
    const n0 = count();
    const r = loss(ts, 'train');
    r.loss.dataSync();
    r.logs.forEach((l) => l.value.dataSync());
    disposeResult(r);
    expect(count(), 'tensors after a call').toBe(n0);

    const keys = predictionKeys(loss, inputs);
    const gs = tf.grads((...xs: tf.Tensor[]) => loss({ ...ts, ...Object.fromEntries(keys.map((k, i) => [k, xs[i]])) }).loss)(keys.map((k) => ts[k]));
    gs.forEach((g) => g.dataSync());
    tf.dispose(gs);
    expect(count(), 'tensors after tf.grads').toBe(n0);

    const vg = tf.valueAndGrads((...xs: tf.Tensor[]) => loss({ ...ts, ...Object.fromEntries(keys.map((k, i) => [k, xs[i]])) }).loss)(keys.map((k) => ts[k]));
    tf.dispose([vg.value, ...vg.grads]);
    expect(count(), 'tensors after tf.valueAndGrads').toBe(n0);

    const missing = Object.fromEntries(Object.entries(ts).filter(([k]) => k !== loss.reads.find((r: string) => !loss.optional.includes(r))));
    expect(() => loss(missing)).toThrow(/missing input/);
    expect(count(), 'tensors after a throwing call').toBe(n0);

    for (const [k, t] of Object.entries(ts)) {
      expect(t.isDisposed, `input ${k} disposed`).toBe(false);
      expect(Array.from(t.dataSync()), `input ${k} changed`).toEqual(Array.from(before[k]));
    }
  } finally {
    tf.dispose(Object.values(ts));
  }
};

describe('no tensor leaks and pure calls', () => {
  it.each(LOSS_NAMES)('%s', (name) => {
    fc.assert(
      fc.property(lossCaseArb(name), (lc) => checkNoLeaks(make(name, lc.params), lc.inputs)),
      runs(12),
    );
  });

  it.each([...ELEMENT_STEPS, ...KEYPOINT_STEPS])('pipeline with compute step %s', (compute) => {
    fc.assert(
      fc.property(
        dimsArb().chain(({ B, K }) =>
          fc.record({
            inputs: fc.record({ keypoints_targ: keypointsArb(B, K, { nan: 'coord' }), keypoints_pred: keypointsArb(B, K) }),
            mode: fc.constantFrom('drop' as const, 'zero' as const),
            eps: fc.option(num(0, 3), { nil: undefined }),
            reduce: fc.constantFrom('mean' as const, 'sum' as const),
          }),
        ),
        ({ inputs, mode, eps, reduce }) => checkNoLeaks(pipeline(stepSpecs({ compute, threshold: 1, mask: mode, epsilon: eps, reduce })), inputs),
      ),
      runs(10),
    );
  });

  it('building a loss allocates no tensors', () => {
    const n0 = count();
    for (const name of LOSS_NAMES)
      make(name, name === 'supervised_reprojection_heatmap_mse' ? { original_image_height: 8, original_image_width: 8, downsampled_image_height: 2, downsampled_image_width: 2 } : {});
    expect(count()).toBe(n0);
  });
});
