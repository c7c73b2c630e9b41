/**
 * Random valid calls of whatever the registries hold, drawn by the steps' own generators
 * (declared next to each step): a registered loss or a new step is covered by the suites
 * that use these, without a list to extend.
 */
import fc from 'fast-check';
import { either } from 'fp-ts';
import type { Camera } from '../../src/config/calibration.js';
import { formatIssues } from '../../src/config/issues.js';
import { createLoss, getLossDef } from '../../src/losses/registry.js';
import type { Labels, PHASES, StepReference, StepSpec } from '../../src/pipeline/step.js';
import { keyDimsArb } from '../../src/steps/reference.js';
import { decodeStep } from '../../src/steps/registry.js';
import type { AnyLoss, Inputs } from './arbitraries.js';
import { FC, real } from './fastCheck.js';

/** The reference a spec's step declares; throws naming the step when it has none. */
export const referenceOf = (spec: StepSpec): StepReference<unknown> => {
  const d = decodeStep(spec, 'pipeline');
  if (either.isLeft(d)) throw new Error(formatIssues(d.left));
  if (!d.right.def.reference) throw new Error(`${d.right.def.phase} step '${d.right.def.name}' declares no reference (plain-JS formula and input generators)`);
  return d.right.def.reference;
};

/** A registered loss's parameters (its declared example, else its defaults; `with` over them) and the pipeline they give. */
export const lossPipeline = (name: string, overrides: Record<string, unknown> = {}): { params: Record<string, unknown>; specs: StepSpec[] } => {
  const def = getLossDef(name);
  if (!def) throw new Error(`unknown loss ${name}`);
  const params = { ...(def.example ?? {}), ...overrides };
  const decoded = def.params.decode(params);
  if (either.isLeft(decoded)) throw new Error(`${name}: parameters ${JSON.stringify(params)} do not decode`);
  return { params, specs: def.pipeline(decoded.right) };
};

/** A registered loss built for a case (its labels and rig), fused or on the tfjs-ops path. */
export const buildLoss = (
  name: string,
  params: Record<string, unknown>,
  { labels, cameras }: { labels?: Labels; cameras?: readonly Camera[] },
  fused = true,
): AnyLoss => {
  const r = createLoss(name, params, { labels, cameras, fused });
  if (either.isLeft(r)) throw new Error(formatIssues(r.left));
  return r.right as AnyLoss;
};

/** The input keys a spec names (`of`: one key or a list; none for rectify and reduce). */
export const specKeys = (spec: StepSpec): string[] => (spec.of === undefined ? [] : typeof spec.of === 'string' ? [spec.of] : (spec.of as string[]));

export interface PipelineCase {
  readonly inputs: Inputs;
  readonly labels?: Labels;
  /** The rig a step's generator drew the inputs for (multi-camera steps): what the loss is built with. */
  readonly cameras?: readonly Camera[];
}

/** Masks draw last: their inputs (NaN targets, empty maps, low confidences) replace what a compute drew for the same key. */
const ORDER: Record<(typeof PHASES)[number], number> = { transform: 0, compute: 1, mask: 2, rectify: 3, reduce: 4 };
const phaseOf = (spec: StepSpec): (typeof PHASES)[number] => (Object.keys(ORDER) as (typeof PHASES)[number][]).find((p) => p in spec)!;

/**
 * Inputs (and labels) for a pipeline: one draw of sizes, every step's cases for the spec the pipeline gives it.
 * `transformsLast`: a transform's own draw (a rig and the views it sees) replaces what masks drew for its key.
 */
export const pipelineCaseArb = (specs: readonly StepSpec[], o: { minB?: number; maxB?: number; transformsLast?: boolean } = {}): fc.Arbitrary<PipelineCase> => {
  const rank = (s: StepSpec) => (o.transformsLast && phaseOf(s) === 'transform' ? 5 : ORDER[phaseOf(s)]);
  const ordered = [...specs].sort((a, b) => rank(a) - rank(b));
  const fixed = specs.map((spec) => referenceOf(spec).sizes?.(spec) ?? {});
  return real(keyDimsArb(FC, o))
    .map((d) => Object.assign({ ...d }, ...fixed))
    .chain((dims) =>
      fc.tuple(...ordered.map((spec) => real(referenceOf(spec).cases(FC, { spec, dims })))).map((cases) => {
        const inputs: Inputs = {};
        let labels: Labels | undefined;
        let cameras: readonly Camera[] | undefined;
        for (const c of cases) {
          for (const [k, p] of Object.entries(c.inputs)) inputs[k] = { shape: [...p.shape], data: Float32Array.from(p.data) };
          labels = c.labels ?? labels;
          cameras = c.cameras ?? cameras;
        }
        return { inputs, labels, cameras };
      }),
    );
};
