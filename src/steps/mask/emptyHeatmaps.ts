import type * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import * as t from 'io-ts';
import type { InputKey } from '../../pipeline/keys.js';
import type { StepDef } from '../../pipeline/step.js';
import { Mode, resolveKeys, stepCodec } from '../common.js';
import { heatmapsArb, maskCases, perKeypoint, shapeOf } from '../reference.js';

const codec = stepCodec('mask', 'empty_heatmaps', { of: t.string, mode: Mode }, { mode: 'drop' });

/**
 * Per map: a target heatmap whose every pixel is exactly 0 is invalid — that is how the
 * reference encodes unlabeled keypoints. Predictions are never inspected.
 */
export const emptyHeatmaps: StepDef<t.TypeOf<typeof codec>> = {
  phase: 'mask',
  name: 'empty_heatmaps',
  doc: 'per map: drop (b, k) whose heatmap in `of` is all zeros (unlabeled keypoint)',
  codec,
  build: (p, ctx) =>
    either.map(([of]: string[]) => ({
      phase: 'mask' as const,
      name: 'empty_heatmaps',
      of,
      level: 'keypoint' as const,
      mode: p.mode,
      mustBeRead: true,
      needsPairs: false,
      fusion: { op: 'empty_map', params: {} },
      weight: (x: tf.Tensor) => x.notEqual(0).any([2, 3]).toFloat(),
    }))(resolveKeys(p.of, ctx, 'empty_heatmaps', 1, ['heatmaps'])),
  reference: {
    phase: 'mask',
    cases: (fc, opts) => maskCases(fc, 'empty_heatmaps', ['heatmaps'], (key, d) => heatmapsArb(fc, { ...d, B: shapeOf(key, d)[0] }, 0.4), opts),
    // valid iff some pixel is not 0: the opposite of "every pixel is 0"
    weight: (p, x) => {
      const empty = perKeypoint(p.of as InputKey, x, (v) => v === 0);
      return { shape: empty.shape, data: Float64Array.from(empty.data, (e) => 1 - e) };
    },
  },
};
