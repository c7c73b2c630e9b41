import type * as t from 'io-ts';
import type { InputKey } from '../pipeline/inputs.js';
import type { StepSpec } from '../pipeline/step.js';

/** A loss's parameter codec: config data in, parameters (log_weight and the rest) out. */
export type ParamsCodec = t.Type<any, any, unknown>;

/**
 * A built-in loss: its parameters' codec (with defaults) and its pipeline as data.
 * `C` is the codec (so `createLoss`'s parameters are typed from it), `K` lists the input keys
 * it reads and `O` those of them it reads only when present, so `createLoss('temporal', ...)`
 * is typed `Loss<'keypoints_pred' | 'confidences', 'confidences'>`.
 */
export interface LossDef<C extends ParamsCodec = ParamsCodec, K extends InputKey = InputKey, O extends K = never> {
  readonly name: string;
  readonly doc: string;
  readonly params: C;
  readonly pipeline: (p: t.TypeOf<C>) => StepSpec[];
  /** Needs labeled keypoints at build time (PCA). */
  readonly needsLabels?: boolean;
  /** Type-level only: the keys it reads, and those it reads only when present. */
  readonly reads?: readonly K[];
  readonly optionalReads?: readonly O[];
}

export const defineLoss = <C extends ParamsCodec, K extends InputKey, O extends K = never>(def: LossDef<C, K, O>): LossDef<C, K, O> => def;
