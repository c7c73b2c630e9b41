/**
 * poseloss: Lightning Pose's training losses and metrics as declared, validated,
 * differentiable pipelines on TensorFlow.js. This entry is browser-safe (no Node built-ins,
 * no `process` or `Buffer` at load or in any loss path); the Node-only parts (file readers,
 * metrics on files, the report, the demo) are in `poseloss/node`.
 */
export { BACKEND_CHOICES, type BackendChoice, type BackendInfo, initBackend } from './backend/index.js';
// for writing a step of your own (see docs/composing-losses.md): codecs with path-precise
// errors, the step-codec helper, key resolution, and the layouts that place masks on outputs
export { Epsilon, finite, inRange, nullable, oneOf, positive, strict } from './config/codecs.js';
export { formatIssues, LossInputError, PoselossError, type PoselossIssue } from './config/issues.js';
export { type AnnealParams, annealWeight, decodeConfig, type LpConfig } from './config/lightningPose.js';
export { parseYaml } from './config/yaml.js';
export * as geometry from './geometry/index.js';
export { buildPipeline } from './losses/build.js';
export { defineLoss, type LossDef } from './losses/define.js';
export { createLoss, createLossOrThrow, getLossDef, lossNames, registerLoss } from './losses/registry.js';
export { checkConfig } from './lp/check.js';
export {
  buildLossFactories,
  buildLossFactoriesOrThrow,
  DEFAULT_ANNEAL_EXEMPT,
  type Factories,
  type FactoryResult,
  type LossFactory,
  makeFactory,
} from './lp/factory.js';
export * as metrics from './metrics/index.js';
export * as pca from './pca/index.js';
export { INPUT_KEYS, type InputKey, type Inputs, PREDICTION_KEYS, type Stage } from './pipeline/inputs.js';
export type { KeyKind } from './pipeline/keys.js';
export { elementwiseLayout, keypointLayout, type Layout, opaqueLayout, pairLayout, pointPairsLayout } from './pipeline/layout.js';
export { type LogEntry, type Loss, type LossResult, readLogs, weightOf } from './pipeline/loss.js';
export type { BuildContext, BuiltStep, ComputeReference, Kinks, Labels, Phase, Plain, StepCase, StepDef, StepReference, StepSpec } from './pipeline/step.js';
export { Mode, Of, resolveKeys, sameShapes, stepCodec } from './steps/common.js';
export { casesOf, maskCases, num, pairCases, plain, tabulate } from './steps/reference.js';
export { allSteps, registerStep, stepNames } from './steps/registry.js';
