import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { suggestion } from '../config/closest.js';
import { issue, type PoselossIssue } from '../config/issues.js';
import { report } from '../config/reporter.js';
import { type AnyStepDef, type BuildContext, type BuiltStep, PHASES, type Phase, type PipelineSoFar, type StepSpec } from '../pipeline/step.js';

import { builtinSteps } from './index.js';

const keyOf = (phase: Phase, name: string) => `${phase}:${name}`;
const registry = new Map<string, AnyStepDef>(builtinSteps.map((d) => [keyOf(d.phase, d.name), d]));

export interface RegisterOptions {
  /**
   * Replace a step registered under the same phase and name. The replacement is the new
   * declaration only: a fused kernel follows what its built steps declare (`fusion`), never the name.
   */
  readonly override?: boolean;
}

/** Add a step (a user's own) to the vocabulary; YAML pipelines can then use it. A taken name is an error unless `override`. */
export const registerStep = (def: AnyStepDef, opts: RegisterOptions = {}): void => {
  if (!(PHASES as readonly string[]).includes(def.phase)) throw new Error(`registerStep: unknown phase '${def.phase}' (phases: ${PHASES.join(', ')})`);
  const key = keyOf(def.phase, def.name);
  if (registry.has(key) && !opts.override)
    throw new Error(`registerStep: ${def.phase} step '${def.name}' is already registered; choose another name, or pass { override: true } to replace it`);
  registry.set(key, def);
};

export const stepNames = (phase: Phase): string[] => [...registry.values()].filter((d) => d.phase === phase).map((d) => d.name);

export const allSteps = (): AnyStepDef[] => [...registry.values()];

/** The step a spec names: exactly one phase key, whose value is a registered step of that phase. */
export const findStep = (spec: StepSpec, path: string): Either<PoselossIssue[], AnyStepDef> => {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    return either.left([issue(path, `expected a step such as { compute: squared_error, of: [...] }, got ${JSON.stringify(spec)}`)]);
  const phases = PHASES.filter((p) => p in spec);
  if (phases.length !== 1)
    return either.left([
      issue(
        path,
        phases.length === 0
          ? `a step needs one of the keys ${PHASES.join(', ')}; got ${Object.keys(spec).join(', ') || 'none'}`
          : `a step has exactly one phase key, got ${phases.join(' and ')}`,
      ),
    ]);
  const phase = phases[0];
  const name = spec[phase];
  if (typeof name !== 'string') return either.left([issue(`${path}.${phase}`, `expected a step name, got ${JSON.stringify(name)}`)]);
  const def = registry.get(keyOf(phase, name));
  return def ? either.right(def) : either.left([issue(`${path}.${phase}`, `unknown ${phase} step '${name}'${suggestion(name, stepNames(phase))}`)]);
};

/** Find a spec's step and decode the spec with its codec; every issue under `path`. */
export const decodeStep = (spec: StepSpec, path: string): Either<PoselossIssue[], { def: AnyStepDef; params: unknown }> => {
  const def = findStep(spec, path);
  if (either.isLeft(def)) return def;
  const decoded = def.right.codec.decode(spec);
  return either.isLeft(decoded) ? either.left(report(decoded.left, path)) : either.right({ def: def.right, params: decoded.right });
};

/** Find, decode and build one step (issues under `ctx.path`). */
export const buildStep = (spec: StepSpec, ctx: BuildContext, sofar: PipelineSoFar = {}): Either<PoselossIssue[], BuiltStep> => {
  const d = decodeStep(spec, ctx.path);
  return either.isLeft(d) ? d : d.right.def.build(d.right.params, ctx, sofar);
};
