import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { either } from 'fp-ts';
import type { StepDef } from '../../pipeline/step.js';
import { Mode, stepCodec, resolveKeys } from '../common.js';
import { toPairs } from '../../ops/pairs.js';

const isFinite01 = (x: tf.Tensor): tf.Tensor => x.isNaN().logicalNot();

const nanCodec = (name: string) => stepCodec('mask', name, { of: t.string, mode: Mode }, { mode: 'drop' });

/** Per element: an element whose value (in `of`, usually a target) is NaN is invalid. */
export const nanTargets: StepDef<t.TypeOf<ReturnType<typeof nanCodec>>> = {
  phase: 'mask',
  name: 'nan_targets',
  doc: 'per element: drop elements whose value in `of` is NaN (x and y independently)',
  codec: nanCodec('nan_targets'),
  build: (p, ctx) =>
    either.map(([of]: string[]) => ({
      phase: 'mask' as const,
      name: 'nan_targets',
      of,
      level: 'element' as const,
      mode: p.mode,
      mustBeRead: true,
      needsPairs: false,
      fusion: { op: 'nan', params: {} },
      weight: (x: tf.Tensor) => isFinite01(x).toFloat(),
    }))(resolveKeys(p.of, ctx, 'nan_targets', 1, ['flat', 'points', 'heatmaps', 'grid'])),
};

/** Per keypoint: a keypoint with any NaN coordinate in `of` is invalid (both coordinates drop). */
export const nanKeypoints: StepDef<t.TypeOf<ReturnType<typeof nanCodec>>> = {
  phase: 'mask',
  name: 'nan_keypoints',
  doc: 'per keypoint: drop keypoints with any NaN coordinate in `of` (all their coordinates)',
  codec: nanCodec('nan_keypoints'),
  build: (p, ctx) =>
    either.map(([of]: string[]) => {
      const kind = ctx.kinds[of];
      return {
        phase: 'mask' as const,
        name: 'nan_keypoints',
        of,
        level: 'keypoint' as const,
        mode: p.mode,
        mustBeRead: true,
        needsPairs: false,
        fusion: { op: 'nan', params: {} },
        weight: (x: tf.Tensor) => {
          const ok = isFinite01(x).toFloat();
          if (kind === 'flat') return toPairs(ok).min(2);
          if (kind === 'heatmaps') return ok.min([2, 3]);
          return ok.min(-1);
        },
      };
    })(resolveKeys(p.of, ctx, 'nan_keypoints', 1, ['flat', 'points', 'heatmaps'])),
};
