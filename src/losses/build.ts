import type { Either } from 'fp-ts/Either';
import { envVar } from '../backend/env.js';
import type { PoselossIssue } from '../config/issues.js';
import { matchKernel } from '../kernels/index.js';
import { type BuildOptions, buildPipelineWith, type PipelineDeps } from '../pipeline/build.js';
import type { Loss } from '../pipeline/loss.js';
import type { StepSpec } from '../pipeline/step.js';
import { buildStep } from '../steps/registry.js';

/** The registered steps and kernels, as the pipeline core is handed them. POSELOSS_FUSED=0 turns kernels off. */
const deps = (): PipelineDeps => ({
  buildStep,
  matchKernel: envVar('POSELOSS_FUSED') === '0' ? null : matchKernel,
});

/**
 * Build a loss from its pipeline (plain data) with the registered steps and kernels: decode
 * every step with its codec, build it, check the pipeline's structure; every problem found
 * is reported, not just the first.
 */
export const buildPipeline = (name: string, logWeight: number, pipeline: readonly StepSpec[], opts: BuildOptions = {}): Either<PoselossIssue[], Loss> =>
  buildPipelineWith(deps(), name, logWeight, pipeline, opts);
