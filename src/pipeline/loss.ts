import type * as tf from '@tensorflow/tfjs';
import type { Inputs, Stage } from './inputs.js';
import type { BuiltStep, Fitted, StepSpec } from './step.js';

/** One named scalar, as the reference's log dicts: `{stage}_{name}_loss`, `{name}_weight`. */
export interface LogEntry {
  readonly name: string;
  readonly value: tf.Scalar;
}

export interface LossResult {
  /** The unweighted scalar loss. */
  readonly loss: tf.Scalar;
  /** `1 / (2·exp(log_weight))`. */
  readonly weight: tf.Scalar;
  /** `weight · loss`. */
  readonly weighted: tf.Scalar;
  /** `{stage}_{name}_loss`, then `{name}_weight`. */
  readonly logs: readonly LogEntry[];
}

/**
 * The call of a loss, declared through a method so that its parameter is compared bivariantly:
 * a loss of known keys (`Loss<'keypoints_pred'>`) is then also a `Loss` of any keys, and losses
 * of different keys go in one `Loss[]`. A call on a loss whose keys are known is still checked
 * against them.
 */
type LossCall<I> = { call(inputs: I, stage?: Stage): LossResult }['call'];

/**
 * A built loss: a pure function of its inputs (the keys `K`, of which `O` may be left out;
 * extra keys are ignored), plus the data it was built from. Every call runs in `tf.tidy`:
 * only the returned tensors outlive it. `Loss` alone is a loss of any keys, all optional.
 */
export interface Loss<K extends string = string, O extends string = string extends K ? string : never> extends LossCall<Inputs<K, O>> {
  /** Throw the `LossInputError` a call on these inputs would throw, making no tensor (a factory checks every loss before running any). */
  checkInputs(inputs: Inputs<K, O>): void;
  readonly lossName: string;
  readonly logWeight: number;
  readonly weight: number;
  /** The keys it reads (those of `reads` not in `optional` must be present). */
  readonly reads: readonly K[];
  readonly optional: readonly K[];
  /** The prediction keys it reads: gradients flow to these. */
  readonly predictions: readonly K[];
  /** The resolved pipeline as data, and as built. */
  readonly pipeline: readonly StepSpec[];
  readonly steps: readonly BuiltStep[];
  /** Epsilon as applied: a number or one per keypoint; 0 when the pipeline has no rectify step (losses are ≥ 0). */
  readonly epsilon: number | readonly number[];
  /** State fitted at build time (PCA), if any. */
  readonly fitted: Fitted | undefined;
  /**
   * The fused SIMD kernel that runs this pipeline on the cpu and wasm backends (one pass,
   * closed-form gradients; src/kernels/), or null: the pipeline runs as tfjs ops.
   */
  readonly kernel: string | null;
}

/** `1 / (2·exp(log_weight))`, the reference's weight. */
export const weightOf = (logWeight: number): number => 1 / (2 * Math.exp(logWeight));

/** Read log entries into numbers without blocking (awaits each tensor's data). */
export const readLogs = async (logs: readonly LogEntry[]): Promise<{ name: string; value: number }[]> =>
  Promise.all(logs.map(async (l) => ({ name: l.name, value: (await l.value.data())[0] })));
