import { either } from 'fp-ts';
import * as t from 'io-ts';
import { finite, positive, strict } from '../config/codecs.js';
import { issue } from '../config/issues.js';
import { defineLoss } from './define.js';
import { WeightOnly } from './params.js';

/** 3-D distance from the target to each camera pair's triangulation; NaN on either side drops (reference §7). */
export const supervisedPairwiseProjections = defineLoss<typeof WeightOnly, 'keypoints_targ_3d' | 'keypoints_pred_3d'>({
  name: 'supervised_pairwise_projections',
  doc: '3-D distance between labels and each camera pair’s triangulated prediction',
  params: WeightOnly,
  pipeline: () => [
    { mask: 'nan_keypoints', of: 'keypoints_targ_3d' },
    { mask: 'nan_keypoints', of: 'keypoints_pred_3d' },
    { compute: 'euclidean_3d', of: ['keypoints_targ_3d', 'keypoints_pred_3d'] },
    { reduce: 'mean' },
  ],
});

const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'a positive integer');

export const ReprojectionParams = strict(
  'supervised_reprojection_heatmap_mse parameters',
  {
    log_weight: finite,
    original_image_height: positive,
    original_image_width: positive,
    downsampled_image_height: PositiveInt,
    downsampled_image_width: PositiveInt,
  },
  { log_weight: 0 },
);

/**
 * Heatmap MSE between the labels' heatmaps and Gaussian heatmaps rendered from the
 * reprojected 3-D prediction; ×H·W per pixel (D3: the reference uses K·H).
 */
export const supervisedReprojectionHeatmapMse = defineLoss<typeof ReprojectionParams, 'heatmaps_targ' | 'keypoints_pred_2d_reprojected'>({
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
  pipeline: (p) => [
    {
      transform: 'gaussian_heatmaps',
      of: 'keypoints_pred_2d_reprojected',
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
  ],
});
