import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import * as t from 'io-ts';
import { strict } from '../../config/codecs.js';
import { safeSum } from '../../ops/safeSum.js';
import type { StepDef } from '../../pipeline/step.js';
import { total } from '../reference.js';

const meanCodec = strict('reduce: mean', { reduce: t.literal('mean') });
const sumCodec = strict('reduce: sum', { reduce: t.literal('sum') });

/** Mean over the elements left by drop masks; with none left the mean is 0, never NaN (D1). */
export const mean: StepDef<t.TypeOf<typeof meanCodec>> = {
  phase: 'reduce',
  name: 'mean',
  doc: 'mean over valid elements (zeroed elements count, dropped ones do not); empty → 0',
  codec: meanCodec,
  build: () => either.right({ phase: 'reduce', name: 'mean', fusion: { op: 'mean', params: {} }, reduce: (v, count) => safeSum(v).div(tf.maximum(count, 1)) }),
  reference: {
    phase: 'reduce',
    cases: (fc, opts) => fc.constant({ spec: opts?.spec ?? { reduce: 'mean' }, inputs: {} }),
    reduce: (_p, values, count) => (count === 0 ? 0 : total(values) / count),
  },
};

export const sum: StepDef<t.TypeOf<typeof sumCodec>> = {
  phase: 'reduce',
  name: 'sum',
  doc: 'sum over all elements (masked ones are 0)',
  codec: sumCodec,
  build: () => either.right({ phase: 'reduce', name: 'sum', fusion: { op: 'sum', params: {} }, reduce: (v) => safeSum(v) }),
  reference: {
    phase: 'reduce',
    cases: (fc, opts) => fc.constant({ spec: opts?.spec ?? { reduce: 'sum' }, inputs: {} }),
    reduce: (_p, values) => total(values),
  },
};
