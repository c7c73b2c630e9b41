import type * as tf from '@tensorflow/tfjs';

export { INPUT_KEYS, type InputKey, isInputKey, PREDICTION_KEYS } from './keys.js';

import type { InputKey } from './keys.js';

/**
 * The inputs of a loss that reads the keys `K`, of which it reads `O` only when present.
 * Extra keys are allowed and ignored, as in the reference (a factory hands every loss every input).
 */
export type Inputs<K extends string = InputKey, O extends string = never> = { readonly [P in Exclude<K, O>]: tf.Tensor } & {
  readonly [P in O & K]?: tf.Tensor;
} & {
  readonly [extra: string]: tf.Tensor | undefined;
};

/** Training stage; interpolated verbatim into log names (`null` → "None", as the reference). */
export type Stage = 'train' | 'val' | 'test' | (string & {}) | null;

export const stageName = (stage: Stage): string => (stage === null ? 'None' : stage);
