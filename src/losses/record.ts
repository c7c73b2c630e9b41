import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import * as t from 'io-ts';
import type { Camera } from '../config/calibration.js';
import { finite, oneOf, strict } from '../config/codecs.js';
import { issue, type PoselossIssue } from '../config/issues.js';
import { report } from '../config/reporter.js';
import type { Loss } from '../pipeline/loss.js';
import type { Labels, StepSpec } from '../pipeline/step.js';
import { buildPipeline } from './build.js';
import type { FactoryName, LossDef } from './define.js';

/** A loss written in a config: `losses.<name>: { log_weight, pipeline: [...], anneal?, factory? }`. */
export const ComposedLoss = strict(
  'composed loss',
  {
    log_weight: finite,
    pipeline: t.array(t.UnknownRecord, 'a list of steps'),
    anneal: t.boolean,
    factory: oneOf(['supervised', 'unsupervised'] as const, 'factory'),
  },
  { log_weight: 0, anneal: true, factory: 'unsupervised' },
);

/**
 * One loss, however it was declared — built in, registered, or composed in a config — as
 * the data every build, `check` and `explain` read: one record, one build.
 */
export interface LossRecord {
  readonly name: string;
  /** Config path of its parameters, for messages. */
  readonly path: string;
  /** Declared (built in or registered with `registerLoss`), or composed in a config (`pipeline:`). */
  readonly origin: 'declared' | 'composed';
  readonly doc: string;
  readonly logWeight: number;
  readonly factory: FactoryName;
  readonly annealed: boolean;
  readonly needsLabels: boolean;
  readonly pipeline: readonly StepSpec[];
  /** The decoded parameters besides log_weight, each with the pipeline steps it reaches (empty: accepted, not used). */
  readonly params: readonly { readonly name: string; readonly value: unknown; readonly steps: readonly number[] }[];
}

const PROBE = '\u0000probe';

/** The steps of `def.pipeline(p)` that a parameter reaches: those whose data changes when it does. */
const stepsReached = (def: LossDef, p: Record<string, unknown>, key: string, base: readonly StepSpec[]): number[] => {
  let probed: StepSpec[];
  try {
    probed = def.pipeline({ ...p, [key]: PROBE } as never);
  } catch {
    return base.map((_, i) => i);
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  // a parameter that adds or removes steps (a declared source of the prediction): the steps with no equal in the probed pipeline
  if (probed.length !== base.length) return base.flatMap((s, i) => (probed.some((q) => same(s, q)) ? [] : [i]));
  return base.flatMap((s, i) => (same(s, probed[i]) ? [] : [i]));
};

/** A declared loss with its parameters (a config block, with what `data:` supplies merged in). */
export const declaredRecord = (def: LossDef, params: unknown, path: string): Either<PoselossIssue[], LossRecord> => {
  const decoded = def.params.decode(params ?? {});
  if (either.isLeft(decoded)) return either.left(report(decoded.left, path));
  const p = decoded.right as Record<string, unknown> & { log_weight: number };
  const pipeline = def.pipeline(p);
  return either.right({
    name: def.name,
    path,
    origin: 'declared',
    doc: def.doc,
    logWeight: p.log_weight,
    factory: def.factory ?? 'unsupervised',
    annealed: def.annealed ?? true,
    needsLabels: def.needsLabels ?? false,
    pipeline,
    params: Object.keys(p)
      .filter((k) => k !== 'log_weight')
      .map((k) => ({ name: k, value: p[k], steps: stepsReached(def, p, k, pipeline) })),
  });
};

/** A loss composed in a config block (`pipeline:` and its own settings). */
export const composedRecord = (name: string, block: unknown, path: string): Either<PoselossIssue[], LossRecord> => {
  const c = ComposedLoss.decode(block);
  if (either.isLeft(c)) return either.left(report(c.left, path));
  return either.right({
    name,
    path,
    origin: 'composed',
    doc: 'composed in the config',
    logWeight: c.right.log_weight,
    factory: c.right.factory,
    annealed: c.right.anneal,
    needsLabels: false,
    pipeline: c.right.pipeline as StepSpec[],
    params: [],
  });
};

export interface BuildRecordOptions {
  /** Labeled keypoints (frames, 2K), NaN = unlabeled: needed by losses fitted from data (PCA). */
  readonly labels?: Labels;
  /** Use fused kernels where one matches (default true); false forces the tfjs-ops reference path. */
  readonly fused?: boolean;
  /** The rig's cameras in view order (a calibration): needed by the multi-camera losses. */
  readonly cameras?: readonly Camera[];
}

/** The one build of a loss record. */
export const buildRecord = (r: LossRecord, opts: BuildRecordOptions = {}): Either<PoselossIssue[], Loss> => {
  if (r.needsLabels && !opts.labels)
    return either.left([issue(r.path, `${r.name} is fitted from labeled keypoints: pass { labels } (frames × 2K, NaN = unlabeled)`)]);
  return buildPipeline(r.name, r.logWeight, r.pipeline, { labels: opts.labels, cameras: opts.cameras, path: r.path, fused: opts.fused });
};
