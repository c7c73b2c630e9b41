/**
 * Sums on the tfjs-ops path are accurate (issue 16 item 2): a pipeline no kernel runs (a
 * composed pipeline, `fused: false`, POSELOSS_FUSED=0) sums in blocks (src/ops/blockSum.ts),
 * and so do the `expr` step's reductions, so it meets the fused kernels' tolerance against
 * float64 at training sizes. The wasm backend's plain Sum was off by −5e-4 relative at 16×17×64×64 and −1e-2 at 48×17×96×96.
 */
import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { buildPipeline } from '../../src/losses/build.js';
import { createLossOrThrow } from '../../src/losses/registry.js';
import { KL_OFFSET } from '../../src/ops/kl.js';
import type { StepSpec } from '../../src/pipeline/step.js';
import { type AnyLoss, pipeline } from './arbitraries.js';

/** Relative error allowed against float64: what the fused kernels meet (they sum float32 blocks of 64 in float64). */
const RTOL = 2e-6;

/** Deterministic maps in [0, 0.1): a small LCG, so the float64 reference sees the exact float32 inputs. */
const maps = (n: number, seed: number): Float32Array => {
  let s = seed;
  return new Float32Array(n).map(() => ((s = (s * 1103515245 + 12345) % 2147483648), (s / 2147483648) * 0.1));
};

/** float64 references: heatmap_mse = mean over pixels of (t − p)²·HW; heatmap_kl = mean over maps of Σ_pixels T·(ln T − ln P). */
const mseRef = (t: Float32Array, p: Float32Array, hw: number): number => {
  let s = 0;
  for (let i = 0; i < t.length; i++) s += (t[i] - p[i]) ** 2;
  return (s * hw) / t.length;
};
const klRef = (t: Float32Array, p: Float32Array, hw: number): number => {
  let s = 0;
  for (let i = 0; i < t.length; i++) {
    const a = Math.fround(t[i] + KL_OFFSET);
    const b = Math.fround(p[i] + KL_OFFSET);
    s += a * (Math.log(a) - Math.log(b));
  }
  return s / (t.length / hw);
};

const SIZES = [
  [16, 17, 64, 64],
  [48, 17, 96, 96],
] as const;

const composedMse = (): AnyLoss =>
  pipeline([
    { mask: 'empty_heatmaps', of: 'heatmaps_targ' },
    { compute: 'heatmap_mse', of: ['heatmaps_targ', 'heatmaps_pred'] },
    { rectify: 'epsilon', epsilon: 0 }, // no kernel takes a rectified heatmap loss
    { reduce: 'mean' },
  ]);

describe(`tfjs-ops sums within ${RTOL} of float64`, () => {
  it.each(SIZES)('heatmap_mse and heatmap_kl at %i×%i×%i×%i: fused, fused: false, and a composed pipeline', (B, K, H, W) => {
    const n = B * K * H * W;
    const t = maps(n, 7);
    const p = maps(n, 11);
    const tt = tf.tensor4d(t, [B, K, H, W]);
    const pt = tf.tensor4d(p, [B, K, H, W]);
    try {
      const composed = composedMse();
      expect(composed.kernel).toBeNull();
      // expressions: per-map sums then the pipeline's mean over maps; one sum over every element
      const input = { compute: 'expr', inputs: { p: 'heatmaps_pred', t: 'heatmaps_targ' } };
      const perMapSteps = [{ ...input, value: 'sum((p - t) ^ 2, height, width)' }, { reduce: 'mean' }];
      const wholeSteps = [{ ...input, value: 'sum((p - t) ^ 2)' }, { reduce: 'sum' }];
      const perMap = pipeline(perMapSteps);
      const whole = pipeline(wholeSteps);
      // the expr kernel (#13) runs them by default; `fused: false` is the tfjs-ops path
      expect([perMap.kernel, whole.kernel]).toEqual(['expr', 'expr']);
      const unfused = (steps: StepSpec[]) => {
        const r = buildPipeline('custom', 0, steps, { fused: false });
        if (either.isLeft(r)) throw new Error(JSON.stringify(r.left));
        return r.right as AnyLoss;
      };
      const [perMapOps, wholeOps] = [unfused(perMapSteps), unfused(wholeSteps)];
      expect([perMapOps.kernel, wholeOps.kernel]).toEqual([null, null]);
      const cases: [string, AnyLoss, number][] = [
        ['composed expr sum((p − t)², height, width), mean', perMapOps, mseRef(t, p, H * W)],
        ['composed expr sum((p − t)²), sum', wholeOps, (mseRef(t, p, H * W) * n) / (H * W)],
        ['composed expr sum((p − t)², height, width), mean, expr kernel', perMap, mseRef(t, p, H * W)],
        ['composed expr sum((p − t)²), sum, expr kernel', whole, (mseRef(t, p, H * W) * n) / (H * W)],
        ['heatmap_mse fused', createLossOrThrow('heatmap_mse') as AnyLoss, mseRef(t, p, H * W)],
        ['heatmap_mse fused: false', createLossOrThrow('heatmap_mse', {}, { fused: false }) as AnyLoss, mseRef(t, p, H * W)],
        ['composed heatmap_mse', composed, mseRef(t, p, H * W)],
        ['heatmap_kl fused: false', createLossOrThrow('heatmap_kl', {}, { fused: false }) as AnyLoss, klRef(t, p, H * W)],
      ];
      for (const [what, loss, ref] of cases) {
        const r = loss({ heatmaps_targ: tt, heatmaps_pred: pt });
        const v = r.loss.dataSync()[0];
        tf.dispose([r.loss, r.weight, r.weighted]);
        expect(Math.abs(v - ref) / Math.abs(ref), `${what}: ${v} vs float64 ${ref}`).toBeLessThan(RTOL);
      }
    } finally {
      tf.dispose([tt, pt]);
    }
  });

  it('temporal_heatmap_mse at 16×17×64×64, fused: false', () => {
    const [B, K, H, W] = SIZES[0];
    const p = maps(B * K * H * W, 3);
    const hw = H * W;
    let s = 0;
    for (let b = 0; b + 1 < B; b++) for (let i = 0; i < K * hw; i++) s += (p[b * K * hw + i] - p[(b + 1) * K * hw + i]) ** 2;
    const ref = s / hw / ((B - 1) * K);
    const pt = tf.tensor4d(p, [B, K, H, W]);
    const conf = tf.ones([B, K]);
    try {
      const loss = createLossOrThrow('temporal_heatmap_mse', { epsilon: 0 }, { fused: false });
      const r = loss({ heatmaps_pred: pt, confidences: conf });
      const v = r.loss.dataSync()[0];
      tf.dispose([r.loss, r.weight, r.weighted]);
      expect(Math.abs(v - ref) / ref).toBeLessThan(RTOL);
    } finally {
      tf.dispose([pt, conf]);
    }
  });
});
