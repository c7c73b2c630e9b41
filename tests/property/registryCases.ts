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
import { INPUT_TABLE, isInputKey, keypointCount } from '../../src/pipeline/keys.js';
import type { Labels, PHASES, StepReference, StepSpec } from '../../src/pipeline/step.js';
import { keyDimsArb } from '../../src/steps/reference.js';
import { decodeStep } from '../../src/steps/registry.js';
import { type AnyLoss, type Inputs, mapInputs, permuteKeypoints } from './arbitraries.js';
import { FC, real } from './fastCheck.js';
import { pipelineReference } from './pipelineReference.js';

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

/** A random call of a registered loss: its parameters (the example's, with `params` drawn over them), pipeline and inputs. */
export interface LossCase extends PipelineCase {
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly specs: StepSpec[];
  /** Frames and keypoints of the inputs (the batch axis; the keypoint count of the compute's first input key). */
  readonly B: number;
  readonly K: number;
}

/**
 * Calls of a registered loss on inputs its steps' generators draw. `fixed` draws parameters that
 * shape the inputs (image and heatmap sizes) before them; `params` (given the case's frames and
 * keypoints) draws parameters after them; both over the loss's example: the pipeline is built from them.
 */
export const lossCaseArb = (
  name: string,
  o: {
    minB?: number;
    maxB?: number;
    transformsLast?: boolean;
    fixed?: fc.Arbitrary<Record<string, unknown>>;
    params?: (d: { B: number; K: number }) => fc.Arbitrary<Record<string, unknown>>;
  } = {},
): fc.Arbitrary<LossCase> =>
  (o.fixed ?? fc.constant({})).chain((fixed) => {
    const base = lossPipeline(name, fixed);
    const key = specKeys(base.specs.find((s) => 'compute' in s)!).find(isInputKey)!;
    return pipelineCaseArb(base.specs, o).chain((c) => {
      const x = c.inputs[key];
      const d = { B: x.shape[0], K: keypointCount(INPUT_TABLE[key].kind, x.shape) };
      return (o.params ? o.params(d) : fc.constant({})).map((drawn): LossCase => {
        const { params, specs } = lossPipeline(name, { ...fixed, ...drawn });
        return { ...c, name, params, specs, ...d };
      });
    });
  });

/** The same call with its keypoints permuted consistently: every input (the input-key table's keypoint axis) and a per-keypoint epsilon. */
export const permuteCaseKeypoints = (lc: LossCase, perm: readonly number[]): LossCase => {
  const eps = lc.params.epsilon;
  const { params, specs } = Array.isArray(eps) ? lossPipeline(lc.name, { ...lc.params, epsilon: perm.map((i) => eps[i]) }) : lc;
  return { ...lc, params, specs, inputs: mapInputs(lc.inputs, (k, a) => permuteKeypoints(k, a, perm)) };
};

/** The loss of a call from its steps' declared references (tests/property/pipelineReference.ts). */
export const referenceLoss = (lc: LossCase, inputs: Inputs = lc.inputs): number => pipelineReference(lc.specs, { ...lc, inputs }).loss;
