/**
 * The input check (issue 16 items 7, 10, 11) for losses by name: a bool/int32 tensor, a disposed
 * tensor or a zero-size axis under any key a loss reads is a `LossInputError` naming the loss,
 * the key, the shape and what was expected — on the fused and the tfjs-ops path alike, thrown
 * before any tensor is made, so a call that throws inside `tf.grad` leaves no tensors.
 * tests/property/inputChecks.test.ts runs it on the loss registry; inputs come from the steps'
 * generators (tests/property/registryCases.ts), so a new loss is covered without a list.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LossInputError } from '../../src/config/issues.js';
import { type AnyLoss, runs, tensorsOf } from './arbitraries.js';
import { buildLoss, lossPipeline, pipelineCaseArb } from './registryCases.js';

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

export const describeInputChecks = (names: readonly string[]): void =>
  describe.each(names)('%s: inputs the check rejects', (name) => {
    const { params, specs } = lossPipeline(name);

    /** For each generated case and each key the loss reads: `bad` makes bad inputs, which the loss must reject with `msg`. */
    const rejectsEachKey = (fused: boolean, numRuns: number, bad: (t: tf.Tensor) => { input: tf.Tensor; msg: string }[]) => {
      fc.assert(
        fc.property(pipelineCaseArb(specs, { minB: 2 }), ({ inputs, ...ctx }) => {
          const loss = buildLoss(name, params, ctx, fused);
          const ts = tensorsOf(inputs);
          try {
            const read = loss.reads.filter((k: string) => ts[k]);
            expect(read.length, `keys of ${name} among the generated inputs`).toBeGreaterThan(0);
            for (const key of read)
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
