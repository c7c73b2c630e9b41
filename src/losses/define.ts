import type { Either } from 'fp-ts/Either';
import type * as t from 'io-ts';
import type { PoselossIssue } from '../config/issues.js';
import type { LpConfig } from '../config/lightningPose.js';
import type { InputKey } from '../pipeline/inputs.js';
import type { StepSpec } from '../pipeline/step.js';

/** A loss's parameter codec: config data in, parameters (log_weight and the rest) out. */
export type ParamsCodec = t.Type<any, any, unknown>;

export type FactoryName = 'supervised' | 'unsupervised';

/**
 * Parameters a config takes from its `data:` section rather than the loss block (spec §10):
 * image sizes, PCA columns. Written in the block they are an error.
 */
export interface FromData {
  /** Each parameter it supplies, with what to set in `data:` instead (for messages). */
  readonly keys: Readonly<Record<string, string>>;
  /**
   * true: data's values are the ones used and a block writing them is an error (the reference's
   * PCA wiring); false: data fills what the block does not give (the reference takes the image
   * sizes from data for the multiview supervised losses, and a listed block as it is).
   */
  readonly replace: boolean;
  /** Their values for a config's data; issues name the `data.` path that is missing or wrong. */
  read(data: LpConfig['data'], path: string): Either<PoselossIssue[], Record<string, unknown>>;
}

/**
 * A loss declaration: its parameters' codec (with defaults), its pipeline as data, and its
 * settings — where a config places it, whether it is annealed, what it needs at build time.
 * `C` is the codec (so `createLoss`'s parameters are typed from it), `K` lists the input keys
 * it reads and `O` those of them it reads only when present, so `createLoss('temporal', ...)`
 * is typed `Loss<'keypoints_pred' | 'confidences', 'confidences'>`.
 */
export interface LossDef<C extends ParamsCodec = ParamsCodec, K extends InputKey = InputKey, O extends K = never> {
  readonly name: string;
  readonly doc: string;
  readonly params: C;
  readonly pipeline: (p: t.TypeOf<C>) => StepSpec[];
  /** The factory it joins when `model.losses_to_use` lists it (default unsupervised, as the reference for every listed loss). */
  readonly factory?: FactoryName;
  /** Whether the factory's anneal weight scales it (default true; the reference exempts the heatmap losses). */
  readonly annealed?: boolean;
  /** Needs labeled keypoints at build time (PCA). */
  readonly needsLabels?: boolean;
  /** Parameters taken from the config's `data:` section. */
  readonly fromData?: FromData;
  /** Rules on its config block beyond the codec's, e.g. a value the reference fixes (issues under `path`). */
  readonly checkBlock?: (block: Readonly<Record<string, unknown>>, path: string) => PoselossIssue[];
  /** Parameters to build it with where its defaults do not build (image sizes, view matches): the property suites and docs use them. */
  readonly example?: Readonly<Record<string, unknown>>;
  /** Type-level only: the keys it reads, and those it reads only when present. */
  readonly reads?: readonly K[];
  readonly optionalReads?: readonly O[];
}

export const defineLoss = <C extends ParamsCodec, K extends InputKey, O extends K = never>(def: LossDef<C, K, O>): LossDef<C, K, O> => def;
