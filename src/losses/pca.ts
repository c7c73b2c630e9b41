import * as t from 'io-ts';
import { defineLoss } from './define.js';
import { finite, inRange, nullable, oneOf, strict } from '../config/codecs.js';
import { ComponentsToKeepCodec, IndexList, MatchesCodec } from '../pca/codecs.js';

/** The reference PCALoss constructor's parameters and defaults (spec §2). */
export const PcaParams = strict(
  'PCA loss parameters',
  {
    log_weight: finite,
    components_to_keep: ComponentsToKeepCodec,
    empirical_epsilon_percentile: inRange(0, 100),
    epsilon: nullable(finite),
    empirical_epsilon_multiplier: finite,
    mirrored_column_matches: nullable(MatchesCodec),
    columns_for_singleview_pca: nullable(IndexList),
    centering_method: nullable(oneOf(['mean', 'median'] as const, 'centering_method')),
  },
  {
    log_weight: 0,
    components_to_keep: { kind: 'fraction', f: 0.95 },
    empirical_epsilon_percentile: 99,
    epsilon: null,
    empirical_epsilon_multiplier: 1,
    mirrored_column_matches: null,
    columns_for_singleview_pca: null,
    centering_method: null,
  },
);
export type PcaParams = t.TypeOf<typeof PcaParams>;

/** An explicit epsilon, else the fitted empirical one × multiplier. */
const rectify = (p: PcaParams) =>
  p.epsilon === null ? { rectify: 'epsilon', epsilon: 'fitted', multiplier: p.empirical_epsilon_multiplier } : { rectify: 'epsilon', epsilon: p.epsilon };

/** Predictions should lie near the PCA subspace of one view's labeled poses (reference §2, §11). */
export const pcaSingleview = defineLoss<typeof PcaParams, 'keypoints_pred'>({
  name: 'pca_singleview',
  doc: 'distance of each predicted pose to the low-dimensional subspace of labeled poses, minus epsilon',
  params: PcaParams,
  needsLabels: true,
  pipeline: (p) => [
    {
      compute: 'pca_reprojection',
      of: 'keypoints_pred',
      view: 'singleview',
      components_to_keep: p.components_to_keep,
      empirical_epsilon_percentile: p.empirical_epsilon_percentile,
      columns: p.columns_for_singleview_pca,
      centering_method: p.centering_method,
    },
    rectify(p),
    { reduce: 'mean' },
  ],
});

/** Each keypoint seen from several views should lie near a 3-dimensional subspace (reference §2, §11). */
export const pcaMultiview = defineLoss<typeof PcaParams, 'keypoints_pred'>({
  name: 'pca_multiview',
  doc: 'consistency of each keypoint across views: distance to a 3-component PCA of the views’ labels',
  params: PcaParams,
  needsLabels: true,
  pipeline: (p) => [
    {
      compute: 'pca_reprojection',
      of: 'keypoints_pred',
      view: 'multiview',
      components_to_keep: { kind: 'count', n: 3 },
      empirical_epsilon_percentile: p.empirical_epsilon_percentile,
      mirrored_column_matches: p.mirrored_column_matches,
    },
    rectify(p),
    { reduce: 'mean' },
  ],
});
