import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import type { Camera } from '../config/calibration.js';
import { suggestion } from '../config/closest.js';
import type { InputOfCodec } from '../config/codecs.js';
import { issue, PoselossError, type PoselossIssue } from '../config/issues.js';
import type { Loss } from '../pipeline/loss.js';
import type { Labels } from '../pipeline/step.js';
import type { LossDef } from './define.js';
import { type BuiltinLossName, builtinLosses } from './index.js';
import { buildRecord, declaredRecord } from './record.js';

const registry = new Map<string, LossDef>(Object.entries(builtinLosses) as [string, LossDef][]);

/** Add a loss (a declaration over registered steps) to the catalogue; a taken name is an error. */
export const registerLoss = (def: LossDef): void => {
  if (registry.has(def.name)) throw new Error(`registerLoss: a loss '${def.name}' is already registered; choose another name`);
  registry.set(def.name, def);
};

export const lossNames = (): string[] => [...registry.keys()];
export const getLossDef = (name: string): LossDef | undefined => registry.get(name);

type Builtin<N extends BuiltinLossName> = (typeof builtinLosses)[N];

/** A built-in loss as `createLoss` builds it: typed with the keys its declaration reads, and those it reads only when present. */
export type BuiltinLoss<N extends BuiltinLossName> = Builtin<N> extends LossDef<any, infer K, infer O> ? Loss<K, O> : Loss;

/** A built-in loss's parameters as a config writes them, from its codec: keys with a default may be left out. */
export type LossParams<N extends BuiltinLossName> = InputOfCodec<Builtin<N>['params']>;

/** A loss name that is not a literal: built-in and registered losses by a name known only at run time. */
type RuntimeName<S extends string> = string extends S ? S : never;

export interface CreateOptions {
  /** Labeled keypoints (frames, 2K), NaN = unlabeled: needed by losses fitted from data (PCA). */
  readonly labels?: Labels;
  /** The rig's cameras in view order (a calibration): needed by the multi-camera losses. */
  readonly cameras?: readonly Camera[];
  /** Prefix of error paths (default: the loss name); the config reader passes `losses.<name>`. */
  readonly path?: string;
  /** Use fused kernels where one matches (default true); false forces the tfjs-ops reference path. */
  readonly fused?: boolean;
}

/**
 * Build a registered loss from its parameters. Returns every problem found (unknown
 * name with the closest known one, bad or unknown parameters with their paths, a broken
 * pipeline, a failed fit) as data. A built-in loss named by a literal is typed: its
 * parameters from its codec (a misspelt or mistyped one, or an unknown loss name, does not
 * compile) and its inputs from its declaration. A name held in a `string` (from a config, or
 * a loss added with `registerLoss`) takes any parameters and is checked when it runs.
 */
export function createLoss<N extends BuiltinLossName>(name: N, params?: LossParams<N>, opts?: CreateOptions): Either<PoselossIssue[], BuiltinLoss<N>>;
export function createLoss<S extends string>(name: RuntimeName<S>, params?: unknown, opts?: CreateOptions): Either<PoselossIssue[], Loss>;
export function createLoss(name: string, params: unknown = {}, opts: CreateOptions = {}): Either<PoselossIssue[], Loss> {
  const path = opts.path ?? name;
  const def = registry.get(name);
  if (!def) return either.left([issue(path, `unknown loss '${name}'${suggestion(name, lossNames())}`)]);
  const record = declaredRecord(def, params, path);
  return either.isLeft(record) ? record : buildRecord(record.right, opts);
}

/** `createLoss` that throws a `PoselossError` carrying the same messages. */
export function createLossOrThrow<N extends BuiltinLossName>(name: N, params?: LossParams<N>, opts?: CreateOptions): BuiltinLoss<N>;
export function createLossOrThrow<S extends string>(name: RuntimeName<S>, params?: unknown, opts?: CreateOptions): Loss;
export function createLossOrThrow(name: string, params: unknown = {}, opts: CreateOptions = {}): Loss {
  const r = createLoss(name as RuntimeName<string>, params, opts);
  if (either.isLeft(r)) throw new PoselossError(r.left);
  return r.right;
}
