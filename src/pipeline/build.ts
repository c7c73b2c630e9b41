import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import type { Camera } from '../config/calibration.js';
import { issue, type PoselossIssue } from '../config/issues.js';
import { activeFused, checkInputs, type KernelMatcher, planOf, run } from './interpret.js';
import { INPUT_KINDS, type KeyKind } from './keys.js';
import { type Loss, weightOf } from './loss.js';
import type { BuildContext, BuiltCompute, BuiltStep, Labels, PipelineSoFar, StepSpec } from './step.js';

/** Find, decode and build one step of a pipeline (the step registry, src/steps/registry.ts). */
export type StepBuilder = (spec: StepSpec, ctx: BuildContext, sofar: PipelineSoFar) => Either<PoselossIssue[], BuiltStep>;

/** What the core builder is handed from the layers above: the step lookup and the kernel matcher (null: tfjs ops only). */
export interface PipelineDeps {
  readonly buildStep: StepBuilder;
  readonly matchKernel: KernelMatcher | null;
}

export interface BuildOptions {
  /** Labeled keypoints (frames, 2K) for steps fitted from data (PCA). */
  readonly labels?: Labels;
  /** The rig's cameras in view order, for multi-camera steps. */
  readonly cameras?: readonly Camera[];
  /** Config path of the loss, for messages (default: the loss name). */
  readonly path?: string;
  /** Use a fused kernel when one implements the pipeline (default true; the tfjs-ops path is the reference). */
  readonly fused?: boolean;
}

/** Structural rules a pipeline must meet; each broken rule is an issue at the step's path. */
const validate = (steps: readonly (BuiltStep | undefined)[], path: string, loss: string): PoselossIssue[] => {
  const errs: PoselossIssue[] = [];
  const at = (i: number) => `${path}.pipeline[${i}]`;
  const computes = steps.flatMap((s, i) => (s?.phase === 'compute' ? [i] : []));
  const reduces = steps.flatMap((s, i) => (s?.phase === 'reduce' ? [i] : []));
  if (computes.length === 0)
    errs.push(issue(`${path}.pipeline`, `${loss} has no compute step: add one, e.g. { compute: squared_error, of: [keypoints_targ, keypoints_pred] }`));
  if (computes.length > 1) errs.push(issue(at(computes[1]), `a second compute step; a pipeline has exactly one`));
  if (reduces.length === 0) errs.push(issue(`${path}.pipeline`, `${loss} has no reduce step: end it with { reduce: mean }`));
  else if (reduces.length > 1 || reduces[0] !== steps.length - 1) errs.push(issue(at(reduces[0]), `reduce must be the last step`));
  const compute = computes.length === 1 ? (steps[computes[0]] as BuiltCompute) : undefined;
  steps.forEach((s, i) => {
    if (!s || !compute) return;
    if (s.phase === 'rectify' && i < computes[0]) errs.push(issue(at(i), `rectify comes after the compute step`));
    if (s.phase === 'transform' && i > computes[0]) errs.push(issue(at(i), `transform ${s.name} comes before the compute step that reads '${s.as}'`));
    if (s.phase === 'mask') {
      if (!compute.layout.perKeypoint && !compute.layout.elementwise) errs.push(issue(at(i), `${compute.name} takes no masks`));
      else if (s.mustBeRead && !compute.of.includes(s.of))
        errs.push(issue(at(i), `mask ${s.name} of '${s.of}', but ${compute.name} reads ${compute.of.map((k) => `'${k}'`).join(', ')}`));
      else if (s.needsPairs && !compute.layout.temporal)
        errs.push(issue(at(i), `${s.name} masks frame pairs; ${compute.name} is not a temporal compute (use low_confidence)`));
    }
  });
  return errs;
};

/**
 * Build a loss from its pipeline (plain data): decode every step with its codec, build it
 * (fitting from labels where the step needs it), check the pipeline's structure, and
 * return the loss function. Every problem found is reported, not just the first.
 */
export const buildPipelineWith = (
  deps: PipelineDeps,
  name: string,
  logWeight: number,
  pipeline: readonly StepSpec[],
  opts: BuildOptions = {},
): Either<PoselossIssue[], Loss> => {
  const path = opts.path ?? name;
  const errs: PoselossIssue[] = [];
  if (!Number.isFinite(logWeight)) errs.push(issue(`${path}.log_weight`, `expected a finite number, got ${logWeight}`));
  const kinds: Record<string, KeyKind> = { ...INPUT_KINDS };
  const built: (BuiltStep | undefined)[] = [];
  let compute: BuiltCompute | undefined;
  // outputs of steps that failed to build: a step reading one is not built (its errors would only repeat that failure)
  const failed = new Set<string>();
  const outputOf = (spec: StepSpec): string | undefined => (typeof spec.as === 'string' ? spec.as : undefined);
  pipeline.forEach((spec, i) => {
    const reads = spec.of === undefined ? [] : typeof spec.of === 'string' ? [spec.of] : Array.isArray(spec.of) ? spec.of : [];
    if (reads.some((k) => failed.has(k))) {
      const out = outputOf(spec);
      if (out !== undefined) failed.add(out);
      return void built.push(undefined);
    }
    const stepPath = `${path}.pipeline[${i}]`;
    const ctx: BuildContext = {
      kinds,
      labels: opts.labels,
      cameras: opts.cameras,
      path: stepPath,
      loss: name,
      fused: opts.fused !== false && deps.matchKernel !== null,
    };
    const b = deps.buildStep(spec, ctx, { compute });
    if (either.isLeft(b)) {
      const out = outputOf(spec);
      if (out !== undefined) failed.add(out);
      return void (errs.push(...b.left), built.push(undefined));
    }
    if (b.right.phase === 'transform') kinds[b.right.as] = b.right.kind;
    if (b.right.phase === 'compute') compute = b.right;
    built.push(b.right);
  });
  if (errs.length === 0) errs.push(...validate(built, path, name));
  if (errs.length > 0) return either.left(errs);
  const steps = built as BuiltStep[];
  const plan = planOf(name, weightOf(logWeight), steps, kinds, opts.fused === false ? null : deps.matchKernel);
  const rectify = steps.filter((s) => s.phase === 'rectify');
  const fn = ((inputs, stage = 'train') => run(plan, inputs, stage)) as Loss;
  const reads = [...plan.required, ...plan.optional];
  // the kernel that runs on the backend of the moment: null wherever tfjs ops run (webgl, native TensorFlow)
  Object.defineProperty(fn, 'kernel', { enumerable: true, get: () => activeFused(plan)?.kernel ?? null });
  return either.right(
    Object.assign(fn, {
      checkInputs: (inputs: Parameters<Loss>[0]) => void checkInputs(plan, inputs),
      lossName: name,
      logWeight,
      weight: weightOf(logWeight),
      reads,
      optional: plan.optional,
      predictions: reads.filter((k) => plan.differentiable.has(k)),
      pipeline,
      steps,
      epsilon: rectify.length ? (rectify[rectify.length - 1] as { epsilon: number | number[] }).epsilon : 0,
      fitted: plan.compute.fitted,
    }),
  );
};
