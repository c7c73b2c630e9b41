/**
 * Purity: a call leaves the engine's tensor count as it found it (once the caller disposes
 * what it got back), so does a full `tf.grads`, so does a call that throws; and the inputs
 * are neither disposed nor changed.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import type { Camera } from '../../src/config/calibration.js';
import { formatIssues } from '../../src/config/issues.js';
import { createLoss, lossNames } from '../../src/losses/registry.js';
import type { Labels, StepSpec } from '../../src/pipeline/step.js';
import { allSteps } from '../../src/steps/registry.js';
import { type AnyLoss, disposeResult, type Inputs, pipeline, predictionKeys, runs, tensorsOf } from './arbitraries.js';
import { FC, real } from './fastCheck.js';
import { lossPipeline, pipelineCaseArb } from './registryCases.js';

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

const build = (name: string, params: Record<string, unknown>, { labels, cameras }: { labels?: Labels; cameras?: readonly Camera[] }): AnyLoss => {
  const r = createLoss(name, params, { labels, cameras });
  if (either.isLeft(r)) throw new Error(formatIssues(r.left));
  return r.right as AnyLoss;
};

describe('no tensor leaks and pure calls', () => {
  it.each(lossNames())('%s', (name) => {
    const { params, specs } = lossPipeline(name);
    fc.assert(
      fc.property(pipelineCaseArb(specs), ({ inputs, ...ctx }) => checkNoLeaks(build(name, params, ctx), inputs)),
      runs(12),
    );
  });

  it.each(
    allSteps()
      .filter((d) => d.phase === 'compute')
      .map((d) => d.name),
  )('pipeline with compute step %s', (compute) => {
    const def = allSteps().find((d) => d.phase === 'compute' && d.name === compute)!;
    const reduces = allSteps()
      .filter((d) => d.phase === 'reduce')
      .map((d): StepSpec => ({ reduce: d.name }));
    fc.assert(
      fc.property(real(def.reference!.cases(FC)), fc.constantFrom(...reduces), (c, reduce) => {
        if (c.labels) return; // a fitted step is built by its loss (above)
        const inputs: Inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, p]) => [k, { shape: [...p.shape], data: Float32Array.from(p.data) }]));
        checkNoLeaks(pipeline([c.spec, reduce]), inputs);
      }),
      runs(10),
    );
  });

  it('building a loss allocates no tensors', () => {
    // each loss with the build context (labels, a rig) its steps' generators draw for it
    const losses = lossNames().map((name) => {
      const { params, specs } = lossPipeline(name);
      const [{ inputs: _, ...ctx }] = fc.sample(pipelineCaseArb(specs), { numRuns: 1, seed: 1 });
      return { name, params, ctx };
    });
    const n0 = count();
    for (const { name, params, ctx } of losses) build(name, params, ctx);
    expect(count()).toBe(n0);
  });
});
