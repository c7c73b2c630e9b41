import type * as tf from '@tensorflow/tfjs';
import type * as t from 'io-ts';
import type { Either } from 'fp-ts/Either';
import type { PoselossIssue } from '../config/issues.js';
import type { KeyKind } from './keys.js';
import type { Layout } from './layout.js';
import type { Epsilon } from '../config/codecs.js';
import type { PcaFit } from '../pca/types.js';

export const PHASES = ['transform', 'mask', 'compute', 'rectify', 'reduce'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * A step as plain data: one phase key whose value names the step, plus the step's own
 * parameters, e.g. `{ compute: 'huber', of: ['keypoints_targ', 'keypoints_pred'], delta: 5 }`.
 */
export type StepSpec = { readonly [key: string]: unknown };

/**
 * What a built step is for fusion: the operation a kernel may implement it by, and its
 * numeric parameters by name. Kernels match on this declaration (src/kernels/registry.ts),
 * never on a step's name; a step without one always runs on the tfjs-ops path.
 */
export interface Fusion {
  readonly op: string;
  readonly params: Readonly<Record<string, number>>;
}

/** The role of each input a compute reads: which is the target and which the prediction. */
export type Role = 'target' | 'prediction';

/** Labeled keypoints handed to the builder, for steps fitted from data (PCA). */
export interface Labels {
  readonly data: Float64Array; // (frames, 2K) row-major, NaN = unlabeled
  readonly rows: number;
  readonly cols: number;
}

/** What a step's builder may use: the kinds of the keys known so far, and data to fit from. */
export interface BuildContext {
  readonly kinds: Readonly<Record<string, KeyKind>>;
  readonly labels?: Labels;
  /** Config path of the step, for error messages (e.g. `losses.paw_huber.pipeline[1]`). */
  readonly path: string;
  /** Name of the loss being built, for messages. */
  readonly loss: string;
}

export interface BuiltTransform {
  readonly phase: 'transform';
  readonly name: string;
  readonly of: string;
  readonly as: string;
  readonly kind: KeyKind;
  check(shape: readonly number[]): string | null;
  outShape(shape: readonly number[]): number[];
  apply(x: tf.Tensor): tf.Tensor;
  readonly fusion?: Fusion;
}

export interface BuiltMask {
  readonly phase: 'mask';
  readonly name: string;
  readonly of: string;
  /** `keypoint`: weight over the key's keypoint grid; `element`: weight of the key's shape. */
  readonly level: 'keypoint' | 'element';
  /** drop: leaves the mean's count; zero: stays in the count as 0. */
  readonly mode: 'drop' | 'zero';
  /** Must the compute read `of`? (NaN and empty-heatmap masks: yes; confidence masks: no.) */
  readonly mustBeRead: boolean;
  /** Needs a frame-pair (temporal) compute. */
  readonly needsPairs: boolean;
  /** Applied only when its key is among the inputs (the reference's optional confidences). */
  readonly optional?: boolean;
  /** 1 where valid, 0 where not; float32. */
  weight(x: tf.Tensor): tf.Tensor;
  readonly fusion?: Fusion;
}

/** Fitted state a compute step learned at build time (PCA), shown by `explain` and used by `rectify: fitted`. */
export interface Fitted {
  readonly epsilon?: number;
  /** Why the fitted epsilon cannot be used (D5), when it is not finite. */
  readonly epsilonProblem?: string;
  /** The fitted keypoint PCA. */
  readonly pca?: PcaFit;
}

export interface BuiltCompute {
  readonly phase: 'compute';
  readonly name: string;
  /** Input keys, and the role of each (same length): which is the target, which the prediction. */
  readonly of: readonly string[];
  readonly roles: readonly Role[];
  readonly layout: Layout;
  /** Shape agreement of the inputs (in `of` order); null when fine, else what is wrong. */
  check(shapes: readonly (readonly number[])[]): string | null;
  apply(xs: readonly tf.Tensor[]): tf.Tensor;
  /** What its inputs must hold beyond their shape, in words (logs of maps: non-negative); a NaN loss is then reported once, saying so. */
  readonly domain?: string;
  readonly fitted?: Fitted;
  readonly fusion?: Fusion;
}

export interface BuiltRectify {
  readonly phase: 'rectify';
  readonly name: string;
  /** Resolved epsilon: a number, or one per keypoint. */
  readonly epsilon: number | readonly number[];
}

export interface BuiltReduce {
  readonly phase: 'reduce';
  readonly name: string;
  /** Reduce the masked values; `count` = number of elements left in the mean (drop masks removed). */
  reduce(values: tf.Tensor, count: tf.Tensor): tf.Tensor;
  readonly fusion?: Fusion;
}

export type BuiltStep = BuiltTransform | BuiltMask | BuiltCompute | BuiltRectify | BuiltReduce;

/** What `rectify` may refer to when its epsilon is `fitted`. */
export interface PipelineSoFar {
  readonly compute?: BuiltCompute;
}

/**
 * A step family member: its phase and name, the io-ts codec of its data, and a builder.
 * Users register their own with `registerStep`.
 */
export interface StepDef<P = any> {
  readonly phase: Phase;
  readonly name: string;
  readonly doc: string;
  readonly codec: t.Type<P, unknown, unknown>;
  build(params: P, ctx: BuildContext, sofar: PipelineSoFar): Either<PoselossIssue[], BuiltStep>;
}

export type { Epsilon };
