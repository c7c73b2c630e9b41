import type * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { either } from 'fp-ts';
import type { BuiltCompute, StepDef } from '../../pipeline/step.js';
import { elementwiseLayout, keypointLayout, type Layout } from '../../pipeline/layout.js';
import { klPerMap, jsPerMap, KL_OFFSET, LOG_DOMAIN } from '../../ops/kl.js';
import { Of, stepCodec, resolveKeys, sameShapes } from '../common.js';

const heatmapStep = (name: string, doc: string, layout: Layout, formula: (t: tf.Tensor, p: tf.Tensor) => tf.Tensor, domain?: string): StepDef => {
  const codec = stepCodec('compute', name, { of: Of }, { of: ['heatmaps_targ', 'heatmaps_pred'] });
  return {
    phase: 'compute',
    name,
    doc,
    codec,
    build: (p: t.TypeOf<typeof codec>, ctx) =>
      either.map(
        (of: string[]): BuiltCompute => ({ phase: 'compute', name, of, roles: ['target', 'prediction'], fusion: { op: name, params: {} }, layout, check: sameShapes(name, of), apply: ([targ, pred]) => formula(targ, pred), domain }),
      )(resolveKeys(p.of as string | string[], ctx, name, 2, ['heatmaps'])),
  };
};

/** (t − p)²·H·W per pixel: with a mean over valid pixels, Σ_pixels per map averaged over maps. */
export const heatmapMse = heatmapStep('heatmap_mse', '(t − p)²·H·W per pixel', elementwiseLayout('heatmaps'), (targ, pred) => {
  const [h, w] = targ.shape.slice(-2);
  return targ.sub(pred).square().mul(h * w);
});

/** KL(T ‖ P) per map, T = t + 1e-10, P = p + 1e-10 (no renormalisation, as the reference). */
export const heatmapKl = heatmapStep('heatmap_kl', 'KL(target ‖ prediction) per map', keypointLayout('heatmaps'), (targ, pred) =>
  klPerMap(targ.add(KL_OFFSET), pred.add(KL_OFFSET)), LOG_DOMAIN,
);

/** Jensen–Shannon divergence per map, same offsets. */
export const heatmapJs = heatmapStep('heatmap_js', 'Jensen–Shannon divergence per map', keypointLayout('heatmaps'), (targ, pred) =>
  jsPerMap(targ.add(KL_OFFSET), pred.add(KL_OFFSET)), LOG_DOMAIN,
);
