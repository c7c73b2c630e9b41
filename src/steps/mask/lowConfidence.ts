import type * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import * as t from 'io-ts';
import { finite } from '../../config/codecs.js';
import type { StepDef } from '../../pipeline/step.js';
import { Mode, resolveKeys, stepCodec } from '../common.js';
import { arrayArb, confidenceArb, maskCases, num, plain, shapeOf } from '../reference.js';

const confidenceCodec = (name: string) =>
  stepCodec('mask', name, { of: t.string, below: finite, mode: Mode, optional: t.boolean }, { of: 'confidences', mode: 'zero', optional: false });

type P = t.TypeOf<ReturnType<typeof confidenceCodec>>;

/**
 * Confidence below `below` (strictly, as the reference; a NaN confidence is not below)
 * makes a keypoint invalid. `optional: true` applies the mask only when the key is given.
 */
const lowConfidenceStep = (name: string, needsPairs: boolean, doc: string): StepDef<P> => ({
  phase: 'mask',
  name,
  doc,
  codec: confidenceCodec(name),
  build: (p, ctx) =>
    either.map(([of]: string[]) => ({
      phase: 'mask' as const,
      name,
      of,
      level: 'keypoint' as const,
      mode: p.mode,
      mustBeRead: false,
      needsPairs,
      optional: p.optional,
      fusion: { op: 'below', params: { below: p.below } },
      weight: (c: tf.Tensor) => c.less(p.below).logicalNot().toFloat(),
    }))(resolveKeys(p.of, ctx, name, 1, ['grid'])),
  reference: {
    phase: 'mask',
    cases: (fc, opts) =>
      maskCases(
        fc,
        name,
        ['grid'],
        (key, d) => arrayArb(fc, shapeOf(key, d), confidenceArb(fc)),
        opts,
        fc.record({ below: fc.oneof(num(fc, 0, 1), fc.constantFrom(0, 0.05, 0.5, 1)).map(Math.fround), optional: fc.boolean() }),
      ),
    // strictly below, compared in float32 as the tensors are; a NaN confidence is not below
    weight: (p, c) =>
      plain(
        c.shape,
        Float64Array.from(c.data, (v) => (v < Math.fround(p.below) ? 0 : 1)),
      ),
  },
});

export const lowConfidence = lowConfidenceStep('low_confidence', false, 'per keypoint: invalid where confidence < `below`');
export const lowConfidencePairs = lowConfidenceStep(
  'low_confidence_pairs',
  true,
  'per frame pair (temporal computes): invalid where confidence < `below` at frame t or t+1',
);
