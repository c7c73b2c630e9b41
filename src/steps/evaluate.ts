import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { LossInputError, PoselossError } from '../config/issues.js';
import type { KeyKind } from '../pipeline/keys.js';
import { INPUT_KINDS } from '../pipeline/keys.js';
import type { BuiltCompute, StepSpec } from '../pipeline/step.js';
import { buildStep } from './registry.js';

/**
 * Build a single compute step from its spec, outside any loss: metrics run the same compute
 * steps as the losses, without masks or a reduction. `kinds` names extra keys' kinds.
 */
export const buildCompute = (spec: StepSpec, kinds: Record<string, KeyKind> = {}, path = 'metric'): BuiltCompute => {
  const built = buildStep(spec, { kinds: { ...INPUT_KINDS, ...kinds }, path, loss: path });
  if (either.isLeft(built)) throw new PoselossError(built.left);
  if (built.right.phase !== 'compute') throw new Error(`${path}: ${built.right.name} is not a compute step`);
  return built.right;
};

/** Apply a built compute step to tensors (in `of` order), checking shapes first; runs in tf.tidy. */
export const applyCompute = (c: BuiltCompute, xs: readonly tf.Tensor[]): tf.Tensor => {
  const msg = c.check(xs.map((x) => x.shape));
  if (msg) throw new LossInputError(`${c.name}: ${msg}`);
  return tf.tidy(() => c.apply(xs));
};
