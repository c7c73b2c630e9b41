/**
 * Flat-keypoint pipelines of any registered compute step (tests/property/steps.test.ts): which
 * computes read a flat pair, their generated parameters, and the pipeline's value from its steps'
 * declared references (tests/property/pipelineReference.ts) with its branch points (`kinks`),
 * which the finite-difference properties use to stay away from non-smooth points.
 */
import type fc from 'fast-check';
import { either } from 'fp-ts';
import { INPUT_KINDS } from '../../src/pipeline/keys.js';
import type { AnyStepDef, ComputeReference } from '../../src/pipeline/step.js';
import { allSteps, decodeStep } from '../../src/steps/registry.js';
import type { Arr, Inputs, Kinks } from './arbitraries.js';
import { FC, real } from './fastCheck.js';
import { pipelineReference } from './pipelineReference.js';

// ---------------------------------------------------------------------------------------
// Compute steps on flat keypoints: [mask nan_targets?] → compute → [rectify ε] → reduce

const FLAT_OF = ['keypoints_targ', 'keypoints_pred'];

/** The compute step registered under `name`, with the reference it declares. */
const computeDef = (name: string): AnyStepDef & { reference: ComputeReference<unknown> } => {
  const def = allSteps().find((d) => d.phase === 'compute' && d.name === name);
  if (!def?.reference || def.reference.phase !== 'compute') throw new Error(`compute step ${name} has no reference`);
  return def as AnyStepDef & { reference: ComputeReference<unknown> };
};

/**
 * The registered compute steps that read a flat (target, prediction) keypoint pair, from the
 * registry: those whose spec with `of: [keypoints_targ, keypoints_pred]` builds (no labels).
 */
export const flatComputes = (): string[] =>
  allSteps()
    .filter((d) => d.phase === 'compute' && d.reference)
    .filter((d) => {
      const spec = decodeStep({ compute: d.name, of: FLAT_OF }, 'probe');
      return either.isRight(spec) && either.isRight(d.build(spec.right.params, { kinds: INPUT_KINDS, path: 'probe', loss: 'probe' }, {}));
    })
    .map((d) => d.name);

/** Random parameters of a flat compute, from its own generator's cases on the flat pair. */
export const flatParamsArb = (compute: string): fc.Arbitrary<Record<string, unknown>> =>
  real(computeDef(compute).reference.cases(FC))
    .filter((c) => JSON.stringify(c.spec.of) === JSON.stringify(FLAT_OF))
    .map(({ spec: { compute: _c, of: _o, ...params } }) => params);

export interface StepConfig {
  readonly compute: string;
  /** The compute's own parameters (huber's delta, smooth_l1's beta, ...). */
  readonly params: Record<string, unknown>;
  readonly mask: 'none' | 'drop' | 'zero';
  /** undefined: no rectify step. */
  readonly epsilon: number | number[] | undefined;
  readonly reduce: 'mean' | 'sum';
}

/** The step specs of a config (what a user would write in YAML). */
export const stepSpecs = (c: StepConfig): Record<string, unknown>[] => [
  ...(c.mask === 'none' ? [] : [{ mask: 'nan_targets', of: 'keypoints_targ', mode: c.mask }]),
  { compute: c.compute, of: FLAT_OF, ...c.params },
  ...(c.epsilon === undefined ? [] : [{ rectify: 'epsilon', epsilon: c.epsilon }]),
  { reduce: c.reduce },
];

/** The compute's float64 output on flat keypoints (B, 2K): per element (B, 2K) or per keypoint (B, K), from its declared reference. */
const computeRef = (c: StepConfig, t: Arr, p: Arr) => {
  const decoded = decodeStep(stepSpecs(c).find((s) => 'compute' in s)!, 'ref');
  if (either.isLeft(decoded)) throw new Error(`${c.compute}: its spec does not decode`);
  return computeDef(c.compute).reference.values(decoded.right.params, [t, p]);
};

/** Whether a flat compute gives one value per keypoint (a distance) rather than per coordinate. */
export const perKeypoint = (compute: string): boolean =>
  computeRef(
    { compute, params: {}, mask: 'none', epsilon: undefined, reduce: 'sum' },
    { shape: [1, 2], data: new Float32Array(2) },
    { shape: [1, 2], data: new Float32Array(2) },
  ).out.shape[1] === 1;

/**
 * The pipeline of `stepSpecs(c)` on keypoints_targ / keypoints_pred (B, 2K), from its steps' declared
 * references (tests/property/pipelineReference.ts); `values`: the valid ones before rectify.
 */
export const stepRef = (c: StepConfig, inputs: Inputs): { loss: number; kinks: ReturnType<Kinks>; values: number[] } => {
  const r = pipelineReference(stepSpecs(c), { inputs });
  return { loss: r.loss, kinks: r.kinks, values: r.values.filter((v) => !Number.isNaN(v)) };
};

export const stepKinks =
  (c: StepConfig): Kinks =>
  (inputs) =>
    stepRef(c, inputs).kinks;
