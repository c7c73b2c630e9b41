import type * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import * as t from 'io-ts';
import type { InputKey } from '../../pipeline/keys.js';
import { allOf } from '../../pipeline/layout.js';
import type { StepDef } from '../../pipeline/step.js';
import { Mode, resolveKeys, stepCodec } from '../common.js';
import { arrayArb, maskCases, num, perKeypoint, plain, shapeOf } from '../reference.js';

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
  reference: {
    phase: 'mask',
    cases: (fc, opts) =>
      maskCases(fc, 'nan_targets', ['flat', 'points', 'heatmaps', 'grid'], (key, d) => arrayArb(fc, shapeOf(key, d), num(fc, -10, 10), 0.25), opts),
    weight: (_p, x) =>
      plain(
        x.shape,
        Float64Array.from(x.data, (v) => (Number.isNaN(v) ? 0 : 1)),
      ),
  },
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
        weight: (x: tf.Tensor) => allOf(isFinite01(x).toFloat(), kind),
      };
    })(resolveKeys(p.of, ctx, 'nan_keypoints', 1, ['flat', 'points', 'heatmaps'])),
  reference: {
    phase: 'mask',
    cases: (fc, opts) =>
      maskCases(fc, 'nan_keypoints', ['flat', 'points', 'heatmaps'], (key, d) => arrayArb(fc, shapeOf(key, d), num(fc, -10, 10), 0.25), opts),
    weight: (p, x) => perKeypoint(p.of as InputKey, x, (v) => !Number.isNaN(v)),
  },
};
