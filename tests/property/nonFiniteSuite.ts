/**
 * Non-finite inputs (issue 16 item 8), one rule on both paths (README "How a pipeline runs"), for
 * losses by name: one prediction element set to NaN, ±Infinity or ±1e30 in a case the steps'
 * generators draw. The fused kernel and the tfjs-ops path agree on whether the loss is finite,
 * and on its value when it is; a non-finite loss has a NaN gradient in every entry on both paths;
 * where the loss is finite the gradients agree (±1e30 is finite, but its square overflows
 * float32: norms are scaled, so they stay finite on both paths; a step declaring a float32 range gets ±its bound
 * instead); no call leaves a tensor behind.
 * tests/property/nonFinite.test.ts runs it on the loss registry.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import type { StepSpec } from '../../src/pipeline/step.js';
import { findStep } from '../../src/steps/registry.js';
import { close, gradients, type Inputs, lossOf, predictionKeys, runs, withValue } from './arbitraries.js';
import { buildLoss, lossPipeline, pipelineCaseArb } from './registryCases.js';

export const BAD = [NaN, Infinity, -Infinity, 1e30, -1e30];

/**
 * BAD for a pipeline, and how closely its two paths agree: a step that declares a float32 range
 * (StepDef.float32Range) gets ±that bound as its huge value instead of ±1e30, and its declared
 * relative tolerance (float32 geometry against the float64 kernel) for values and gradients.
 */
const badFor = (specs: readonly StepSpec[]): { bad: number[]; rtol: number } => {
  const ranges = specs.flatMap((spec) => {
    const def = findStep(spec, 'spec');
    return either.isRight(def) && def.right.float32Range ? [def.right.float32Range] : [];
  });
  const bound = Math.min(1e30, ...ranges.map((r) => r.maxAbs));
  return { bad: BAD.map((v) => (Number.isFinite(v) ? Math.sign(v) * bound : v)), rtol: Math.max(1e-4, ...ranges.map((r) => r.rtol)) };
};

export const describeNonFinite = (names: readonly string[]): void => {
  describe('a non-finite or huge prediction element: fused and tfjs-ops paths agree', () => {
    it.each(names)('%s', (name) => {
      const { params, specs } = lossPipeline(name);
      const { bad: values, rtol } = badFor(specs);
      fc.assert(
        fc.property(pipelineCaseArb(specs, { minB: 2 }), fc.nat(), fc.nat(), fc.constantFrom(...values), ({ inputs: drawn, ...ctx }, at, which, bad) => {
          const fused = buildLoss(name, params, ctx);
          const ops = buildLoss(name, params, ctx, false);
          const keys = predictionKeys(fused, drawn);
          expect(keys.length, `prediction keys of ${name} among the generated inputs`).toBeGreaterThan(0);
          const key = keys[which % keys.length];
          const inputs: Inputs = { ...drawn, [key]: withValue(drawn[key], at % drawn[key].data.length, bad) };
          const n0 = tf.memory().numTensors;
          const [vf, vo] = [lossOf(fused, inputs), lossOf(ops, inputs)];
          expect(Number.isFinite(vf), `finite? fused ${vf}, tfjs ops ${vo}`).toBe(Number.isFinite(vo));
          const [gf, go] = [gradients(fused, inputs), gradients(ops, inputs)];
          expect(tf.memory().numTensors, 'tensors left by the calls and gradients').toBe(n0);
          if (!Number.isFinite(vf)) {
            for (const k of keys)
              for (const [path, g] of [
                ['fused', gf[k]],
                ['tfjs ops', go[k]],
              ] as const)
                expect(g.every(Number.isNaN), `${path}: loss ${path === 'fused' ? vf : vo}, every ${k} gradient entry NaN`).toBe(true);
            return;
          }
          expect(close(vf, vo, rtol, 1e-6), `value: fused ${vf}, tfjs ops ${vo}`).toBe(true);
          for (const k of keys) {
            // a finite loss from a ±Infinity element (a rectify clamped its term) leaves that entry's gradient unspecified
            const both = [...gf[k].keys()].filter((i) => Number.isFinite(bad) || (Number.isFinite(gf[k][i]) && Number.isFinite(go[k][i])));
            const scale = Math.max(1e-6, ...both.map((i) => Math.abs(go[k][i])).filter(Number.isFinite));
            for (const i of both)
              expect(gf[k][i] === go[k][i] || close(gf[k][i], go[k][i], 10 * rtol, rtol * scale), `${k}[${i}]: fused ${gf[k][i]}, tfjs ops ${go[k][i]}`).toBe(
                true,
              );
          }
        }),
        runs(Number(process.env.NF_RUNS ?? 12)),
      );
    });
  });
};
