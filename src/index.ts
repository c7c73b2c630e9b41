/**
 * poseloss: Lightning Pose's training losses and metrics as declared, validated,
 * differentiable pipelines on TensorFlow.js. This entry is browser-safe (no Node built-ins,
 * no `process` or `Buffer` at load or in any loss path); the Node-only parts (file readers,
 * metrics on files, the report, the demo) are in `poseloss/node`.
 */
export { initBackend, BACKEND_CHOICES, type BackendChoice, type BackendInfo } from './backend/index.js';
export { INPUT_KEYS, PREDICTION_KEYS, type InputKey, type Inputs, type Stage } from './pipeline/inputs.js';
export { PoselossError, LossInputError, formatIssues, type PoselossIssue } from './config/issues.js';
export { readLogs, weightOf, type Loss, type LossResult, type LogEntry } from './pipeline/loss.js';
export type { StepDef, StepSpec, BuiltStep, BuildContext, Labels, Phase, StepReference, ComputeReference, StepCase, Plain, Kinks } from './pipeline/step.js';
export { pairCases, maskCases, casesOf, num, plain, tabulate } from './steps/reference.js';
export { buildPipeline } from './losses/build.js';
export { createLoss, createLossOrThrow, registerLoss, lossNames, getLossDef } from './losses/registry.js';
export { registerStep, stepNames, allSteps } from './steps/registry.js';
export { defineLoss, type LossDef } from './losses/define.js';
export { buildLossFactories, buildLossFactoriesOrThrow, makeFactory, DEFAULT_ANNEAL_EXEMPT, type LossFactory, type FactoryResult, type Factories } from './lp/factory.js';
export { checkConfig } from './lp/check.js';
export { decodeConfig, annealWeight, type LpConfig, type AnnealParams } from './config/lightningPose.js';
export { parseYaml } from './config/yaml.js';
export * as metrics from './metrics/index.js';
export * as pca from './pca/index.js';

// for writing a step of your own (see docs/composing-losses.md): codecs with path-precise
// errors, the step-codec helper, key resolution, and the layouts that place masks on outputs
export { strict, finite, positive, inRange, oneOf, nullable, Epsilon } from './config/codecs.js';
export { stepCodec, resolveKeys, sameShapes, Of, Mode } from './steps/common.js';
export { elementwiseLayout, keypointLayout, pairLayout, pointPairsLayout, opaqueLayout, type Layout } from './pipeline/layout.js';
export type { KeyKind } from './pipeline/keys.js';
export * as geometry from './geometry/index.js';
