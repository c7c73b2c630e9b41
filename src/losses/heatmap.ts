import { defineLoss } from './define.js';
import { WeightOnly } from './params.js';

/** heatmap_mse | heatmap_kl | heatmap_js: empty target maps drop out; no epsilon (reference §1). */
const heatmapLoss = (name: 'heatmap_mse' | 'heatmap_kl' | 'heatmap_js', doc: string) =>
  defineLoss<typeof WeightOnly, 'heatmaps_targ' | 'heatmaps_pred'>({
    name,
    doc,
    params: WeightOnly,
    annealed: false, // the reference exempts the heatmap losses from annealing, by name
    pipeline: () => [{ mask: 'empty_heatmaps', of: 'heatmaps_targ' }, { compute: name, of: ['heatmaps_targ', 'heatmaps_pred'] }, { reduce: 'mean' }],
  });

export const heatmapMse = heatmapLoss('heatmap_mse', 'squared error ×H·W summed per map, averaged over labeled maps');
export const heatmapKl = heatmapLoss('heatmap_kl', 'KL(target ‖ prediction) per map, averaged over labeled maps');
export const heatmapJs = heatmapLoss('heatmap_js', 'Jensen–Shannon divergence per map, averaged over labeled maps');
