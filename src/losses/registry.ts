import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import type { InputKey } from '../pipeline/inputs.js';
import { issue, PoselossError, type PoselossIssue } from '../config/issues.js';
import type { Loss } from '../pipeline/loss.js';
import type { Labels } from '../pipeline/step.js';
import { buildRecord, declaredRecord } from './record.js';
import type { LossDef } from './define.js';
import { builtinLosses, type BuiltinLossName } from './index.js';
import { suggestion } from '../config/closest.js';
import type { Camera } from '../config/calibration.js';

const registry = new Map<string, LossDef>(Object.entries(builtinLosses) as [string, LossDef][]);

/** Add a loss (a declaration over registered steps) to the catalogue; a taken name is an error. */
export const registerLoss = (def: LossDef): void => {
  if (registry.has(def.name)) throw new Error(`registerLoss: a loss '${def.name}' is already registered; choose another name`);
  registry.set(def.name, def);
};

export const lossNames = (): string[] => [...registry.keys()];
export const getLossDef = (name: string): LossDef | undefined => registry.get(name);

/** The keys a built-in loss reads, from its declaration. */
type ReadsOf<N> = N extends BuiltinLossName ? ((typeof builtinLosses)[N] extends LossDef<any, infer K> ? K : InputKey) : string;

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
 * pipeline, a failed fit) as data.
 */
export const createLoss = <N extends string>(name: N, params: unknown = {}, opts: CreateOptions = {}): Either<PoselossIssue[], Loss<ReadsOf<N>>> => {
  const path = opts.path ?? name;
  const def = registry.get(name);
  if (!def) return either.left([issue(path, `unknown loss '${name}'${suggestion(name, lossNames())}`)]);
  const record = declaredRecord(def, params, path);
  return (either.isLeft(record) ? record : buildRecord(record.right, opts)) as Either<PoselossIssue[], Loss<ReadsOf<N>>>;
};

/** `createLoss` that throws a `PoselossError` carrying the same messages. */
export const createLossOrThrow = <N extends string>(name: N, params: unknown = {}, opts: CreateOptions = {}): Loss<ReadsOf<N>> => {
  const r = createLoss(name, params, opts);
  if (either.isLeft(r)) throw new PoselossError(r.left);
  return r.right;
};
