/**
 * Non-finite inputs (issue 16 item 8), one rule on both paths (README "How a pipeline runs"):
 * one prediction element set to NaN, ±Infinity or ±1e30 in a random case. The fused kernel and
 * the tfjs-ops path agree on whether the loss is finite, and on its value when it is; a
 * non-finite loss has a NaN gradient in every entry on both paths; where the loss is finite the
 * gradients agree (±1e30 is finite, but its square overflows float32: norms are scaled, so
 * temporal, rmse and euclidean_3d stay finite on both paths); no call leaves a tensor behind.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLossOrThrow } from '../../src/losses/registry.js';
import { type AnyLoss, close, gradients, type Inputs, LOSS_NAMES, lossCaseArb, lossOf, make, predictionKeys, runs, unfused, withValue } from './arbitraries.js';

const BAD = [NaN, Infinity, -Infinity, 1e30, -1e30];

describe('a non-finite or huge prediction element: fused and tfjs-ops paths agree', () => {
  it.each(LOSS_NAMES)('%s', (name) => {
    fc.assert(
      fc.property(lossCaseArb(name, { minB: 2 }), fc.nat(), fc.nat(), fc.constantFrom(...BAD), (lc, at, which, bad) => {
        const fused = make(name, lc.params);
        const ops = unfused(fused);
        const keys = predictionKeys(fused, lc.inputs);
        const key = keys[which % keys.length];
        const inputs: Inputs = { ...lc.inputs, [key]: withValue(lc.inputs[key], at % lc.inputs[key].data.length, bad) };
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
        expect(close(vf, vo, 1e-4, 1e-6), `value: fused ${vf}, tfjs ops ${vo}`).toBe(true);
        for (const k of keys) {
          // a finite loss from a ±Infinity element (a rectify clamped its term) leaves that entry's gradient unspecified
          const both = [...gf[k].keys()].filter((i) => Number.isFinite(bad) || (Number.isFinite(gf[k][i]) && Number.isFinite(go[k][i])));
          const scale = Math.max(1e-6, ...both.map((i) => Math.abs(go[k][i])).filter(Number.isFinite));
          for (const i of both)
            expect(gf[k][i] === go[k][i] || close(gf[k][i], go[k][i], 1e-3, 1e-4 * scale), `${k}[${i}]: fused ${gf[k][i]}, tfjs ops ${go[k][i]}`).toBe(true);
        }
      }),
      runs(15),
    );
  });
});

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

describe('PCA losses: a huge or non-finite prediction element, fused and tfjs-ops paths agree', () => {
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
      runs(40),
    );
  });
});
