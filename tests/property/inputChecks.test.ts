/**
 * The input check (issue 16 items 7, 10, 11): a bool/int32 tensor, a disposed tensor or a
 * zero-size axis is a `LossInputError` naming the loss, the key, the shape and what was
 * expected — on the fused and the tfjs-ops path alike, thrown before any tensor is made, so a
 * call that throws inside `tf.grad` (or a factory whose second loss throws) leaves no tensors.
 * After all of it the wasm backend still computes correct losses (a bool tensor used to
 * corrupt its memory).
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LossInputError } from '../../src/config/issues.js';
import { makeFactory } from '../../src/lp/factory.js';
import { type AnyLoss, evaluate, type Inputs, LOSS_NAMES, lossCaseArb, make, runs, tensorsOf, unfused } from './arbitraries.js';

const count = (): number => tf.memory().numTensors;
const shapeStr = (s: readonly number[]): string => `(${s.join(',')})`;

/** Call the loss plainly and inside tf.grad on `bad` (its other inputs from `ts`): both throw a LossInputError matching `msg`, and no tensor is left. */
const expectRejected = (loss: AnyLoss, ts: Record<string, tf.Tensor>, msg: string): void => {
  const n0 = count();
  expect(() => loss(ts)).toThrow(LossInputError);
  expect(() => loss(ts)).toThrow(msg);
  expect(count(), 'tensors after a rejected call').toBe(n0);
  const key = loss.predictions.find((k: string) => ts[k] && !ts[k].isDisposed && ts[k].dtype === 'float32');
  if (key) {
    expect(() => tf.grad((x: tf.Tensor) => loss({ ...ts, [key]: x }).loss)(ts[key])).toThrow(msg);
    expect(count(), 'tensors after a rejected call inside tf.grad').toBe(n0);
  }
};

describe.each(LOSS_NAMES)('%s: inputs the check rejects', (name) => {
  const params =
    name === 'supervised_reprojection_heatmap_mse'
      ? { original_image_height: 16, original_image_width: 16, downsampled_image_height: 4, downsampled_image_width: 4 }
      : {};
  const build = (fused: boolean): AnyLoss => (fused ? make(name, params) : unfused(make(name, params)));

  /** For each generated case and each key the loss reads: `bad` makes bad inputs, which the loss must reject with `msg`. */
  const rejectsEachKey = (fused: boolean, numRuns: number, bad: (t: tf.Tensor) => { input: tf.Tensor; msg: string }[]) => {
    const loss = build(fused);
    fc.assert(
      fc.property(lossCaseArb(name, { minB: 2 }), (lc) => {
        const ts = tensorsOf(lc.inputs);
        try {
          for (const key of loss.reads.filter((k: string) => ts[k]))
            for (const { input, msg } of bad(ts[key])) {
              try {
                expectRejected(loss, { ...ts, [key]: input }, msg.replace('KEY', key));
              } finally {
                input.dispose();
              }
            }
        } finally {
          tf.dispose(Object.values(ts));
        }
      }),
      runs(numRuns),
    );
  };

  it.each([true, false])('dtypes: bool and int32 inputs name loss, key, expected and actual dtype (fused %s)', (fused) =>
    rejectsEachKey(fused, 3, (t) =>
      (['bool', 'int32'] as const).map((dtype) => ({ input: t.cast(dtype), msg: `${name}: KEY ${shapeStr(t.shape)}: expected dtype float32, got ${dtype}` })),
    ),
  );

  it.each([true, false])('a disposed input is named (fused %s)', (fused) =>
    rejectsEachKey(fused, 3, (t) => {
      const gone = t.clone();
      gone.dispose();
      return [{ input: gone, msg: `${name}: input 'KEY' is a disposed tensor` }];
    }),
  );

  // the batch axis is the exception: a batch of 0 frames is an empty reduction (D1; the registry suite pins it)
  it.each([true, false])('a zero-size axis other than the batch is rejected, naming key, shape and axis (fused %s)', (fused) =>
    rejectsEachKey(fused, 2, (t) =>
      Array.from({ length: t.rank - 1 }, (_, i) => {
        const shape = t.shape.map((d, j) => (j === i + 1 ? 0 : d));
        return { input: tf.zeros(shape), msg: `${name}: KEY ${shapeStr(shape)}:` };
      }),
    ),
  );
});

describe('a factory checks every loss before running any', () => {
  it('the second loss rejects its input: no tensor left, inside tf.grad or not', () => {
    const factory = makeFactory([
      { name: 'heatmap_mse', loss: make('heatmap_mse'), annealed: false },
      { name: 'temporal', loss: make('temporal'), annealed: true },
    ]);
    const heat = tf.ones([3, 2, 4, 4]).mul(0.1);
    const bad = tf.ones([3, 4], 'int32');
    const n0 = count();
    expect(() => factory({ heatmaps_targ: heat, heatmaps_pred: heat, keypoints_pred: bad })).toThrow(
      'temporal: keypoints_pred (3,4): expected dtype float32, got int32',
    );
    expect(() => tf.grad((x: tf.Tensor) => factory({ heatmaps_targ: heat, heatmaps_pred: x, keypoints_pred: bad }).total)(heat)).toThrow(LossInputError);
    expect(count()).toBe(n0);
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
