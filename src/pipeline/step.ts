import type * as tf from '@tensorflow/tfjs';
import type { Either } from 'fp-ts/Either';
import type * as t from 'io-ts';
import type { Camera } from '../config/calibration.js';
import type { Epsilon } from '../config/codecs.js';
import type { PoselossIssue } from '../config/issues.js';
import type { PcaFit } from '../pca/types.js';
import type { KeyKind } from './keys.js';
import type { Layout } from './layout.js';

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
  /** Constant state a kernel needs besides numbers (the rig's cameras for reproject_views). */
  readonly data?: unknown;
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
  /** The rig's cameras in view order (a calibration), for multi-camera steps. */
  readonly cameras?: readonly Camera[];
  /** Fused kernels allowed (false: the tfjs-ops reference path, `{ fused: false }` or POSELOSS_FUSED=0). */
  readonly fused?: boolean;
}

export interface BuiltTransform {
  readonly phase: 'transform';
  readonly name: string;
  readonly of: string;
  readonly as: string;
  readonly kind: KeyKind;
  /** Further keys it reads besides `of`, used when present (e.g. per-view confidences); handed to check and apply in this order. */
  readonly with?: readonly string[];
  check(shape: readonly number[], withShapes?: readonly (readonly number[] | undefined)[]): string | null;
  outShape(shape: readonly number[]): number[];
  apply(x: tf.Tensor, withInputs?: readonly (tf.Tensor | undefined)[]): tf.Tensor;
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
 * A step family member: its phase and name, the io-ts codec of its data, a builder, and
 * (next to its code) a plain-JS reference with random valid uses, which the property suites
 * find through the registry. Users register their own with `registerStep`.
 */
export interface StepDef<P = unknown> {
  readonly phase: Phase;
  readonly name: string;
  readonly doc: string;
  readonly codec: t.Type<P, unknown, unknown>;
  build(params: P, ctx: BuildContext, sofar: PipelineSoFar): Either<PoselossIssue[], BuiltStep>;
  /** Float64 formula and input generators; a registered step without one fails the property suite. */
  readonly reference?: StepReference<P>;
  /**
   * Where its tfjs-ops path (float32) matches its fused kernel (float64) and how closely: inputs up to
   * `maxAbs` in magnitude, values within `rtol` relative (gradients 10·rtol), and why (e.g. the
   * triangulation squares normalised coordinates and can be ill-conditioned). Beyond it the paths may
   * disagree; README "Non-finite inputs" lists the steps that declare one.
   */
  readonly float32Range?: { readonly maxAbs: number; readonly rtol: number; readonly why: string };
}

/** A step of any parameter type, as registries and pipelines hold them. */
export type AnyStepDef = StepDef<any>;

// ---------------------------------------------------------------------------------------
// References: what the property suites read (tests hand in fast-check; src never imports it)

/** Plain values: a shape and row-major values (float32 inputs, float64 reference outputs). */
export interface Plain {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}
export type PlainInputs = Readonly<Record<string, Plain>>;

/**
 * The part of fast-check the generators use, structurally: tests hand in fast-check itself, and
 * the library (and its types) do not depend on it.
 */
export interface Arbitrary<T> {
  map<U>(f: (t: T) => U): Arbitrary<U>;
  chain<U>(f: (t: T) => Arbitrary<U>): Arbitrary<U>;
  filter(p: (t: T) => boolean): Arbitrary<T>;
}
type Weighted<T> = Arbitrary<T> | { readonly weight: number; readonly arbitrary: Arbitrary<T> };
export interface FastCheck {
  constant<T>(value: T): Arbitrary<T>;
  constantFrom<T>(...values: T[]): Arbitrary<T>;
  boolean(): Arbitrary<boolean>;
  nat(max: number): Arbitrary<number>;
  integer(c: { min: number; max: number }): Arbitrary<number>;
  double(c: { min: number; max: number; noNaN: boolean; noDefaultInfinity: boolean }): Arbitrary<number>;
  array<T>(a: Arbitrary<T>, c: { minLength: number; maxLength: number }): Arbitrary<T[]>;
  tuple<Ts extends unknown[]>(...as: { [K in keyof Ts]: Arbitrary<Ts[K]> }): Arbitrary<Ts>;
  record<R extends Record<string, unknown>>(r: { [K in keyof R]: Arbitrary<R[K]> }): Arbitrary<R>;
  oneof<T>(...as: Weighted<T>[]): Arbitrary<T>;
}

/** One random valid use of a step: the spec a user would write, inputs for the keys it reads, labels for fitted steps. */
export interface StepCase {
  readonly spec: StepSpec;
  readonly inputs: PlainInputs;
  readonly labels?: Labels;
  /** A rig the case's inputs were drawn for, for steps built with the calibration (multi-camera). */
  readonly cameras?: readonly Camera[];
}

/** [quantity, threshold] pairs where a formula changes branch (|d| at δ, a norm at 0): finite differences keep away from them. */
export type Kinks = (readonly [number, number])[];

/** Sizes of the inputs a case draws: batch B, keypoints K, heatmap H × W, camera pairs P, camera views V. */
export interface CaseDims {
  readonly B: number;
  readonly K: number;
  readonly H: number;
  readonly W: number;
  readonly P: number;
  readonly V: number;
}

/** What a pipeline fixes of a step's cases: its spec (only inputs are drawn, for the keys it names) and sizes shared with the other steps. */
export interface CaseOptions {
  readonly spec?: StepSpec;
  readonly dims?: CaseDims;
}

interface ReferenceOf<Ph extends Phase> {
  readonly phase: Ph;
  /** Random valid uses of the step (with `opts.spec`: inputs for that spec). */
  cases(fc: FastCheck, opts?: CaseOptions): Arbitrary<StepCase>;
  /** Input sizes a spec of this step fixes for the other steps of its pipeline (a rendered heatmap's H × W). */
  sizes?(spec: StepSpec): Partial<CaseDims>;
}

/** A transform: the made tensor from the read one. */
export interface TransformReference<P> extends ReferenceOf<'transform'> {
  /** `cameras`: the case's rig, for transforms built with the calibration. */
  apply(params: P, x: Plain, cameras?: readonly Camera[]): { out: Plain; kinks: Kinks };
}

/** A mask: validity (1 / 0) at the step's level (element: the key's shape; keypoint: its grid). */
export interface MaskReference<P> extends ReferenceOf<'mask'> {
  weight(params: P, x: Plain): Plain;
}

/** A compute: its output values, from its inputs in `of` order (and its fitted state, for fitted steps). */
export interface ComputeReference<P> extends ReferenceOf<'compute'> {
  values(params: P, xs: readonly Plain[], fitted?: Fitted): { out: Plain; kinks: Kinks };
}

/** A rectify: the value kept of `v` at keypoint `k` of `K`. */
export interface RectifyReference<P> extends ReferenceOf<'rectify'> {
  apply(params: P, v: number, k: number, K: number): number;
}

/** A reduce: the loss from the (masked) values and the count drop masks leave. */
export interface ReduceReference<P> extends ReferenceOf<'reduce'> {
  reduce(params: P, values: ArrayLike<number>, count: number): number;
}

export type StepReference<P> = TransformReference<P> | MaskReference<P> | ComputeReference<P> | RectifyReference<P> | ReduceReference<P>;

export type { Epsilon };
