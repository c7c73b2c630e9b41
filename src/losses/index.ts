import { cycleReprojection, triangulationResidual } from './cycle.js';
import { heatmapJs, heatmapKl, heatmapMse } from './heatmap.js';
import { supervisedPairwiseProjections, supervisedReprojectionHeatmapMse } from './multiview.js';
import { pcaMultiview, pcaSingleview } from './pca.js';
import { regression, rmse } from './regression.js';
import { temporal, temporalHeatmapKl, temporalHeatmapMse } from './temporal.js';

/** The built-in catalogue, by config name. */
export const builtinLosses = {
  heatmap_mse: heatmapMse,
  heatmap_kl: heatmapKl,
  heatmap_js: heatmapJs,
  regression,
  rmse,
  temporal,
  temporal_heatmap_mse: temporalHeatmapMse,
  temporal_heatmap_kl: temporalHeatmapKl,
  pca_singleview: pcaSingleview,
  pca_multiview: pcaMultiview,
  supervised_pairwise_projections: supervisedPairwiseProjections,
  supervised_reprojection_heatmap_mse: supervisedReprojectionHeatmapMse,
  cycle_reprojection: cycleReprojection,
  triangulation_residual: triangulationResidual,
} as const;

export type BuiltinLossName = keyof typeof builtinLosses;
