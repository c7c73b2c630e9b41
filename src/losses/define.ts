import type * as t from 'io-ts';
import type { InputKey } from '../pipeline/inputs.js';
import type { StepSpec } from '../pipeline/step.js';

/**
 * A built-in loss: its parameters' codec (with defaults) and its pipeline as data.
 * `K` lists the input keys it reads, so `createLoss('temporal', ...)` is typed
 * `Loss<'keypoints_pred' | 'confidences'>`.
 */
export interface LossDef<P extends { log_weight: number } = any, K extends InputKey = InputKey> {
  readonly name: string;
  readonly doc: string;
  readonly params: t.Type<P, unknown, unknown>;
  readonly pipeline: (p: P) => StepSpec[];
  /** Needs labeled keypoints at build time (PCA). */
  readonly needsLabels?: boolean;
  /** Type-level only: the keys it reads. */
  readonly reads?: readonly K[];
}

export const defineLoss = <P extends { log_weight: number }, K extends InputKey>(def: LossDef<P, K>): LossDef<P, K> => def;
