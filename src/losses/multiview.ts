import { either } from 'fp-ts';
import * as t from 'io-ts';
import { finite, oneOf, positive, strict } from '../config/codecs.js';
import { issue } from '../config/issues.js';
import type { StepSpec } from '../pipeline/step.js';
import { defineLoss } from './define.js';

/**
 * Where a supervised multi-view loss's prediction comes from, as data: the input key a config
 * names in `predictions`, the key the compute then reads, and the steps that make it. The
 * reference's own input (default) is read as given; `keypoints_pred_views` (B, V, K, 2) is
 * triangulated (and reprojected) in the pipeline with the calibration the loss is built with.
 */
interface Source {
  readonly reads: string;
  readonly steps: readonly StepSpec[];
}

const TRIANGULATED = 'keypoints_pred_3d_triangulated';
const triangulated: StepSpec = { transform: 'triangulate_pairs', of: 'keypoints_pred_views', as: TRIANGULATED };

const PAIRWISE_SOURCES = {
  keypoints_pred_3d: { reads: 'keypoints_pred_3d', steps: [] },
  keypoints_pred_views: { reads: TRIANGULATED, steps: [triangulated] },
} as const satisfies Record<string, Source>;

export const PairwiseProjectionsParams = strict(
  'supervised_pairwise_projections parameters',
  { log_weight: finite, predictions: oneOf(Object.keys(PAIRWISE_SOURCES) as (keyof typeof PAIRWISE_SOURCES)[], 'predictions') },
  { log_weight: 0, predictions: 'keypoints_pred_3d' as const },
);

/**
 * 3-D distance from the target to each camera pair's triangulation; NaN on either side drops
 * (reference §7). `predictions: keypoints_pred_views` triangulates every camera pair from the
 * per-view 2-D predictions in the pipeline (the reference's project_camera_pairs_to_3d).
 */
export const supervisedPairwiseProjections = defineLoss<
  typeof PairwiseProjectionsParams,
  'keypoints_targ_3d' | 'keypoints_pred_3d' | 'keypoints_pred_views',
  'keypoints_pred_3d' | 'keypoints_pred_views'
>({
  name: 'supervised_pairwise_projections',
  doc: '3-D distance between labels and each camera pair’s triangulated prediction',
  params: PairwiseProjectionsParams,
  pipeline: (p) => {
    // an unknown key (explain's probe of what the parameter reaches) is read as given
    const src: Source = PAIRWISE_SOURCES[p.predictions] ?? { reads: p.predictions, steps: [] };
    return [
      ...src.steps,
      { mask: 'nan_keypoints', of: 'keypoints_targ_3d' },
      { mask: 'nan_keypoints', of: src.reads },
      { compute: 'euclidean_3d', of: ['keypoints_targ_3d', src.reads] },
      { reduce: 'mean' },
    ];
  },
});

/** The inputs supervised_reprojection_heatmap_mse can take its prediction from; `reprojectionSources` says how, for each (its type requires every one). */
const REPROJECTION_PREDICTIONS = ['keypoints_pred_2d_reprojected', 'keypoints_pred_views'] as const;

const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'a positive integer');

export const ReprojectionParams = strict(
  'supervised_reprojection_heatmap_mse parameters',
  {
    log_weight: finite,
    predictions: oneOf(REPROJECTION_PREDICTIONS, 'predictions'),
    original_image_height: positive,
    original_image_width: positive,
    downsampled_image_height: PositiveInt,
    downsampled_image_width: PositiveInt,
  },
  { log_weight: 0, predictions: 'keypoints_pred_2d_reprojected' as const },
);
type ReprojectionParams = t.TypeOf<typeof ReprojectionParams>;

const REPROJECTED = 'keypoints_pred_2d_reprojected_views';

/** The reprojection heatmap loss's sources: the reference's input, or per-view 2-D predictions → every camera pair → their mean → every view, in the model-input frame (B, V·K, 2). */
const reprojectionSource = (p: ReprojectionParams): Source => {
  const sources: Record<(typeof REPROJECTION_PREDICTIONS)[number], Source> = {
    keypoints_pred_2d_reprojected: { reads: 'keypoints_pred_2d_reprojected', steps: [] },
    keypoints_pred_views: {
      reads: REPROJECTED,
      steps: [
        triangulated,
        {
          transform: 'project_views',
          of: TRIANGULATED,
          as: REPROJECTED,
          pairs: 'mean',
          image_height: p.original_image_height,
          image_width: p.original_image_width,
        },
      ],
    },
  };
  return sources[p.predictions] ?? { reads: p.predictions, steps: [] };
};

/**
 * Heatmap MSE between the labels' heatmaps and Gaussian heatmaps rendered from the
 * reprojected 3-D prediction; ×H·W per pixel (D3: the reference uses K·H).
 * `predictions: keypoints_pred_views` makes the reprojection in the pipeline as the reference's
 * multi-view model does (pairs triangulated, their mean projected into every view, views
 * flattened: targets (B, V·K, H, W)), from per-view 2-D predictions and the calibration.
 */
export const supervisedReprojectionHeatmapMse = defineLoss<
  typeof ReprojectionParams,
  'heatmaps_targ' | 'keypoints_pred_2d_reprojected' | 'keypoints_pred_views',
  'keypoints_pred_2d_reprojected' | 'keypoints_pred_views'
>({
  name: 'supervised_reprojection_heatmap_mse',
  doc: 'heatmap MSE of Gaussian maps rendered at the reprojected 3-D prediction',
  params: ReprojectionParams,
  example: { original_image_height: 32, original_image_width: 48, downsampled_image_height: 8, downsampled_image_width: 12 },
  // the image sizes come from data:, as the reference wires them (spec §10)
  fromData: {
    keys: {
      original_image_height: 'image_resize_dims.height',
      original_image_width: 'image_resize_dims.width',
      downsampled_image_height: 'image_resize_dims.height and downsample_factor',
      downsampled_image_width: 'image_resize_dims.width and downsample_factor',
    },
    replace: false,
    read: (data) => {
      const { height, width } = data.image_resize_dims ?? {};
      if (!height || !width)
        return either.left([issue('data.image_resize_dims', 'supervised_reprojection_heatmap_mse needs image_resize_dims.height and .width')]);
      const f = 2 ** data.downsample_factor;
      return either.right({
        original_image_height: height,
        original_image_width: width,
        downsampled_image_height: Math.floor(height / f),
        downsampled_image_width: Math.floor(width / f),
      });
    },
  },
  pipeline: (p) => {
    const src = reprojectionSource(p);
    return [
      ...src.steps,
      {
        transform: 'gaussian_heatmaps',
        of: src.reads,
        as: 'heatmaps_reprojected',
        image_height: p.original_image_height,
        image_width: p.original_image_width,
        heatmap_height: p.downsampled_image_height,
        heatmap_width: p.downsampled_image_width,
        sigma: 1.25,
      },
      { mask: 'empty_heatmaps', of: 'heatmaps_targ' },
      { compute: 'heatmap_mse', of: ['heatmaps_targ', 'heatmaps_reprojected'] },
      { reduce: 'mean' },
    ];
  },
});
