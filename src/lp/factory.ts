import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import type { Camera } from '../config/calibration.js';
import { PoselossError, type PoselossIssue } from '../config/issues.js';
import { decodeConfig, type LpConfig } from '../config/lightningPose.js';
import { builtinLosses } from '../losses/index.js';
import { buildRecord, type LossRecord } from '../losses/record.js';
import { type Inputs, type Stage, stageName } from '../pipeline/inputs.js';
import type { LogEntry, Loss } from '../pipeline/loss.js';
import type { Labels } from '../pipeline/step.js';
import { type Wired, wireLosses } from './wiring.js';

export { ComposedLoss } from '../losses/record.js';

/** The built-in losses declared not annealed (the reference exempts the supervised heatmap losses). */
export const DEFAULT_ANNEAL_EXEMPT: readonly string[] = Object.values(builtinLosses)
  .filter((d) => (d as { annealed?: boolean }).annealed === false)
  .map((d) => d.name);

export interface FactoryMember {
  readonly name: string;
  readonly loss: Loss;
  /** Whether the factory's anneal weight scales this loss. */
  readonly annealed: boolean;
}

export interface FactoryResult {
  /** Σ anneal_i · weight_i · loss_i. */
  readonly total: tf.Scalar;
  /** Per loss: `{stage}_{name}_loss`, `{name}_weight`, `{stage}_{name}_loss_weighted` (without the anneal factor, as the reference). */
  readonly logs: readonly LogEntry[];
}

/** A weighted sum of losses; each gets every input and picks the keys it reads. */
export interface LossFactory {
  (inputs: Inputs<string>, stage?: Stage, anneal?: number | null): FactoryResult;
  readonly members: readonly FactoryMember[];
  readonly names: readonly string[];
}

export const makeFactory = (members: readonly FactoryMember[]): LossFactory => {
  const fn = ((inputs: Inputs<string>, stage: Stage = null, anneal: number | null = 1): FactoryResult => {
    // every member's inputs are checked before any member makes a tensor (a throw after that, inside tf.grad, would leak)
    for (const m of members) m.loss.checkInputs(inputs);
    return tf.tidy(() => {
      let total: tf.Scalar = tf.scalar(0);
      const logs: LogEntry[] = [];
      for (const m of members) {
        const r = m.loss(inputs, stage);
        const a = anneal === null || !m.annealed ? 1 : anneal;
        total = total.add(a === 1 ? r.weighted : r.weighted.mul(a)) as tf.Scalar; // the weight is applied once, inside the loss
        logs.push(...r.logs, { name: `${stageName(stage)}_${m.name}_loss_weighted`, value: r.weighted });
      }
      return { total, logs } as unknown as tf.TensorContainer;
    }) as unknown as FactoryResult;
  }) as LossFactory;
  return Object.assign(fn, { members, names: members.map((m) => m.name) });
};

export interface FactoryOptions {
  /** Labeled keypoints (frames × 2K, NaN = unlabeled) for the PCA losses. */
  readonly labels?: Labels;
  /** The rig's cameras in view order (e.g. `data.camera_params_file` read with readCalibration), for the multi-camera losses. */
  readonly cameras?: readonly Camera[];
  /** Names the anneal weight does not scale, besides the losses declared not annealed (composed losses say `anneal: false`). */
  readonly annealExempt?: readonly string[];
}

/** A factory member from a loss record: its one build, annealed as its record says. */
export const buildMember = (r: LossRecord, opts: FactoryOptions): Either<PoselossIssue[], FactoryMember> =>
  either.map((loss: Loss) => ({ name: r.name, loss, annealed: r.annealed && !(opts.annealExempt ?? []).includes(r.name) }))(
    buildRecord(r, { labels: opts.labels, cameras: opts.cameras }),
  );

export interface Factories {
  readonly supervised: LossFactory;
  readonly unsupervised: LossFactory;
  readonly config: LpConfig;
}

/**
 * The supervised and unsupervised loss factories a Lightning Pose config selects (spec
 * §9–§10), each loss built and checked; every issue in the config is reported at once.
 */
export const buildLossFactories = (config: unknown, opts: FactoryOptions = {}): Either<PoselossIssue[], Factories> => {
  const cfg = decodeConfig(config);
  if (either.isLeft(cfg)) return cfg;
  const { wiring, issues } = wireLosses(cfg.right);
  const errs: PoselossIssue[] = [...issues];
  const build = (records: readonly Wired[]) =>
    records.flatMap((r) => {
      const m = either.flatMap(r, (rec: LossRecord) => buildMember(rec, opts));
      if (either.isLeft(m)) return (errs.push(...m.left), []);
      return [m.right];
    });
  const supervised = build(wiring.supervised);
  const unsupervised = build(wiring.unsupervised);
  return errs.length ? either.left(errs) : either.right({ supervised: makeFactory(supervised), unsupervised: makeFactory(unsupervised), config: cfg.right });
};

export const buildLossFactoriesOrThrow = (config: unknown, opts: FactoryOptions = {}): Factories => {
  const r = buildLossFactories(config, opts);
  if (either.isLeft(r)) throw new PoselossError(r.left);
  return r.right;
};
