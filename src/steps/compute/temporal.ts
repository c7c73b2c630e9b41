import * as t from 'io-ts';
import { either } from 'fp-ts';
import type * as tf from '@tensorflow/tfjs';
import type { BuiltCompute, StepDef } from '../../pipeline/step.js';
import { framePairs, pairLayout } from '../../pipeline/layout.js';
import type { KeyKind } from '../../pipeline/keys.js';
import { safeNorm } from '../../ops/safeNorm.js';
import { blockSum } from '../../ops/blockSum.js';
import { klPerMap, KL_OFFSET, LOG_DOMAIN } from '../../ops/kl.js';
import { Of, stepCodec, resolveKeys } from '../common.js';
import { toPairs } from '../../ops/pairs.js';

/** A compute over consecutive frames (t, t+1) of one prediction: output (B−1, K), vectorised over t. */
const temporalStep = (name: string, doc: string, kind: KeyKind, formula: (now: tf.Tensor, next: tf.Tensor) => tf.Tensor, domain?: string): StepDef => {
  const codec = stepCodec('compute', name, { of: Of }, { of: kind === 'flat' ? 'keypoints_pred' : 'heatmaps_pred' });
  return {
    phase: 'compute',
    name,
    doc,
    codec,
    build: (p: t.TypeOf<typeof codec>, ctx) =>
      either.map(
        (of: string[]): BuiltCompute => ({
          phase: 'compute',
          name,
          of,
          roles: ['prediction'],
          fusion: { op: name, params: {} },
          layout: pairLayout(kind),
          check: () => null,
          apply: ([x]) => {
            const [now, next] = framePairs(x);
            return formula(now, next);
          },
          domain,
        }),
      )(resolveKeys(p.of as string | string[], ctx, name, 1, [kind])),
  };
};

/** ‖x[t+1,k] − x[t,k]‖ per keypoint. */
export const temporalNorm = temporalStep('temporal_norm', 'distance moved by each keypoint between frames t and t+1', 'flat', (now, next) => {
  const d = next.sub(now);
  return safeNorm(toPairs(d), -1);
});

/** Per-pixel mean of (p[t] − p[t+1])² per map (no ×H·W, as the reference). */
export const temporalHeatmapMse = temporalStep('temporal_heatmap_mse', 'mean over pixels of the squared change of each map between frames', 'heatmaps', (now, next) =>
  blockSum(now.sub(next).square(), 2).div(now.shape[now.rank - 2]! * now.shape[now.rank - 1]!),
);

/** KL(p[t+1] + 1e-10 ‖ p[t] + 1e-10) per map. */
export const temporalHeatmapKl = temporalStep('temporal_heatmap_kl', 'KL(map at t+1 ‖ map at t) per keypoint', 'heatmaps', (now, next) =>
  klPerMap(next.add(KL_OFFSET), now.add(KL_OFFSET)), LOG_DOMAIN,
);
