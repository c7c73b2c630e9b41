/**
 * The loss suite: a loss, or a compute step in a pipeline of its own, on inputs its steps'
 * generators draw: fused kernels against the tfjs-ops path (equal values and gradients), the
 * keys named when missing, extra keys ignored, an empty batch exactly 0 with zero gradients (D1) on both paths,
 * no tensor left behind. tests/property/lossRegistry.test.ts runs it on the registries.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LossInputError } from '../../src/config/issues.js';
import { INPUT_KEYS } from '../../src/pipeline/keys.js';
import type { AnyStepDef, StepSpec } from '../../src/pipeline/step.js';
import { allSteps } from '../../src/steps/registry.js';
import { type AnyLoss, close, evaluate, gradients, type Inputs, num, pipeline, predictionKeys, runs, tensorsOf, unfused } from './arbitraries.js';
import { FC, real } from './fastCheck.js';
import { modelledInputs, pipelineReference } from './pipelineReference.js';
import { buildLoss, lossPipeline, pipelineCaseArb, referenceOf } from './registryCases.js';

/** Fused and tfjs-ops runs agree: the loss and its gradient w.r.t. every prediction input. */
const expectSamePaths = (fused: AnyLoss, ops: AnyLoss, inputs: Inputs): void => {
  const [a, b] = [evaluate(fused, inputs).loss, evaluate(ops, inputs).loss];
  expect(close(a, b, 1e-4, 1e-5 * Math.max(1, Math.abs(b))), `${fused.lossName} (kernel ${fused.kernel}): fused ${a}, tfjs ops ${b}`).toBe(true);
  const keys = predictionKeys(fused, inputs);
  const [ga, gb] = [gradients(fused, inputs, keys), gradients(ops, inputs, keys)];
  for (const k of keys) {
    const scale = Math.max(1e-6, ...Array.from(gb[k], Math.abs));
    ga[k].forEach((g, i) => {
      if (!close(g, gb[k][i], 1e-3, 1e-4 * scale + 1e-6))
        expect.fail(`${fused.lossName} (kernel ${fused.kernel}): d/d${k}[${i}] fused ${g}, tfjs ops ${gb[k][i]}`);
    });
  }
};

export const describeLossSuite = (names: readonly string[]): void =>
  describe.each(names)('registered loss %s', (name) => {
    const { params, specs } = lossPipeline(name);

    it('is covered: every step of its pipeline declares a reference and generators', () => {
      for (const spec of specs) expect(() => referenceOf(spec)).not.toThrow();
    });

    it("equals its steps' declared references composed (float64); weighted by 1/(2·exp(log_weight)); logs named by stage", () => {
      fc.assert(
        // a transform's input as its own generator draws it (the step suite's cases): the masks' arbitrary views make a float32 triangulation ill-conditioned
        fc.property(pipelineCaseArb(specs, { transformsLast: true }), fc.oneof(num(-20, 20), fc.constantFrom(0, Math.log(0.5), 10.7, 11)), (c, log_weight) => {
          const inputs = modelledInputs(specs, c);
          const r = evaluate(buildLoss(name, { ...params, log_weight }, c), inputs, 'val');
          const { loss: want, scale } = pipelineReference(specs, { ...c, inputs });
          expect(close(r.loss, want, 1e-4, 1e-5 + 1e-4 * scale), `${name}: loss ${r.loss}, its steps' references ${want}`).toBe(true);
          expect(close(r.weight, Math.fround(1 / (2 * Math.exp(log_weight))), 1e-6, 0), `weight ${r.weight} at log_weight ${log_weight}`).toBe(true);
          expect(close(r.weighted, Math.fround(r.weight * r.loss), 1e-6, 1e-30), `weighted ${r.weighted}`).toBe(true);
          expect(r.logs).toEqual([
            { name: `val_${name}_loss`, value: r.loss },
            { name: `${name}_weight`, value: r.weight },
          ]);
        }),
        runs(20),
      );
    });

    it('fused and tfjs-ops paths give equal values and gradients', () => {
      fc.assert(
        fc.property(pipelineCaseArb(specs), ({ inputs, ...ctx }) => {
          expectSamePaths(buildLoss(name, params, ctx), buildLoss(name, params, ctx, false), inputs);
        }),
        runs(15),
      );
    });

    it('a missing key is named with the keys it reads; extra keys are ignored; no tensor is left behind', () => {
      fc.assert(
        fc.property(pipelineCaseArb(specs), fc.nat(), ({ inputs, ...ctx }, which) => {
          const loss = buildLoss(name, params, ctx);
          const required = loss.reads.filter((k: string) => !loss.optional.includes(k));
          const gone = required[which % required.length];
          const ts = tensorsOf(inputs);
          try {
            const { [gone]: _, ...rest } = ts;
            expect(() => loss(rest)).toThrow(LossInputError);
            const message = (() => {
              try {
                loss(rest);
              } catch (e) {
                return (e as Error).message;
              }
            })();
            expect(message).toContain(`${name}: missing input '${gone}'`);
            for (const k of required) expect(message).toContain(`'${k}'`);
            // every input key it does not read, as NaN of a wrong shape, and a key no loss reads
            const extra = Object.fromEntries([...INPUT_KEYS.filter((k) => !loss.reads.includes(k)), 'not_an_input'].map((k) => [k, tf.fill([1, 1], NaN)]));
            const before = tf.memory().numTensors;
            const r = loss({ ...ts, ...extra } as never);
            const plain = loss(ts);
            expect(r.loss.dataSync()[0]).toBe(plain.loss.dataSync()[0]);
            tf.dispose([r.loss, r.weight, r.weighted, plain.loss, plain.weight, plain.weighted]);
            expect(tf.memory().numTensors, 'tensors left after two calls').toBe(before);
            tf.dispose(Object.values(extra));
          } finally {
            tf.dispose(Object.values(ts));
          }
        }),
        runs(8),
      );
    });

    it("a batch of 0 frames is an empty reduction on both paths (D1): exactly 0, zero gradients of the inputs' empty shapes, no leaks", () => {
      fc.assert(
        fc.property(pipelineCaseArb(specs), ({ inputs, ...ctx }) => {
          const empty: Inputs = Object.fromEntries(Object.entries(inputs).map(([k, a]) => [k, { shape: [0, ...a.shape.slice(1)], data: new Float32Array(0) }]));
          for (const loss of [buildLoss(name, params, ctx), buildLoss(name, params, ctx, false)]) {
            const ts = tensorsOf(empty);
            try {
              const before = tf.memory().numTensors;
              const r = loss(ts);
              expect(r.loss.dataSync()[0]).toBe(0);
              expect(r.weighted.dataSync()[0]).toBe(0);
              tf.dispose([r.loss, r.weight, r.weighted]);
              const preds = loss.predictions.filter((k) => ts[k] !== undefined);
              if (preds.length) {
                const gs = tf.grads((...xs: tf.Tensor[]) => loss({ ...ts, ...Object.fromEntries(preds.map((k, i) => [k, xs[i]])) }).loss)(
                  preds.map((k) => ts[k]!),
                );
                gs.forEach((g, i) => expect(g.shape).toEqual(ts[preds[i]!]!.shape));
                tf.dispose(gs);
              }
              expect(tf.memory().numTensors).toBe(before);
            } finally {
              tf.dispose(Object.values(ts));
            }
          }
        }),
        runs(5),
      );
    });
  });

/** Each compute step, with its generated parameters, in a pipeline of its own with each reduce step. */
export const describeComputePipelines = (computes: readonly AnyStepDef[]): void =>
  describe.each(computes.filter((d) => d.phase === 'compute' && d.reference).map((d) => [d.name, d] as const))(
    'compute step %s in a pipeline',
    (_name, def) => {
      const reduces = allSteps()
        .filter((d) => d.phase === 'reduce')
        .map((d): StepSpec => ({ reduce: d.name }));
      it('fused and tfjs-ops paths give equal values and gradients, for every reduce step', () => {
        fc.assert(
          fc.property(real(def.reference!.cases(FC)), fc.constantFrom(...reduces), (c, reduce) => {
            if (c.labels) return; // a fitted step is built by its loss (above)
            const loss = pipeline([c.spec, reduce], `custom_${def.name}`);
            const inputs: Inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, p]) => [k, { shape: [...p.shape], data: Float32Array.from(p.data) }]));
            expectSamePaths(loss, unfused(loss), inputs);
          }),
          runs(15),
        );
      });
    },
  );
