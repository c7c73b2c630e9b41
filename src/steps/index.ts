import type { AnyStepDef } from '../pipeline/step.js';
import { absoluteError, huber, smoothL1, squaredError } from './compute/elementwise.js';
import { euclidean3d } from './compute/euclidean3d.js';
import { expr } from './compute/expr.js';
import { heatmapJs, heatmapKl, heatmapMse } from './compute/heatmap.js';
import { euclidean, rmsError } from './compute/keypointDistance.js';
import { pcaReprojection } from './compute/pcaReprojection.js';
import { temporalHeatmapKl, temporalHeatmapMse, temporalNorm } from './compute/temporal.js';
import { emptyHeatmaps } from './mask/emptyHeatmaps.js';
import { lowConfidence, lowConfidencePairs } from './mask/lowConfidence.js';
import { nanKeypoints, nanTargets } from './mask/nan.js';
import { epsilon } from './rectify/epsilon.js';
import { mean, sum } from './reduce/reduce.js';
import { gaussianHeatmaps } from './transform/gaussianHeatmaps.js';
import { projectViews } from './transform/projectViews.js';
import { reprojectViews } from './transform/reprojectViews.js';
import { triangulatePairs } from './transform/triangulatePairs.js';

/** The built-in vocabulary; built-in losses and YAML pipelines use the same steps. */
export const builtinSteps: readonly AnyStepDef[] = [
  gaussianHeatmaps,
  reprojectViews,
  triangulatePairs,
  projectViews,
  nanTargets,
  nanKeypoints,
  emptyHeatmaps,
  lowConfidence,
  lowConfidencePairs,
  squaredError,
  absoluteError,
  huber,
  smoothL1,
  euclidean,
  rmsError,
  heatmapMse,
  heatmapKl,
  heatmapJs,
  temporalNorm,
  temporalHeatmapMse,
  temporalHeatmapKl,
  euclidean3d,
  expr,
  pcaReprojection,
  epsilon,
  mean,
  sum,
];
