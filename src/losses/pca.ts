import { either } from 'fp-ts';
import type * as t from 'io-ts';
import { finite, inRange, nullable, oneOf, strict } from '../config/codecs.js';
import { issue } from '../config/issues.js';
import { ComponentsToKeepCodec, IndexList, MatchesCodec } from '../pca/codecs.js';
import { expandFlatMatches } from '../pca/format.js';
import { defineLoss } from './define.js';

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
  fromData: {
    keys: { columns_for_singleview_pca: 'columns_for_singleview_pca' },
    replace: true,
    read: (data, path) =>
      (data.view_names?.length ?? 0) > 1
        ? either.left([
            issue(path, 'pca_singleview is not implemented for multiview data (data.view_names has several views), as in the reference: use pca_multiview'),
          ])
        : either.right({ columns_for_singleview_pca: data.columns_for_singleview_pca ?? null }),
  },
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
  example: {
    mirrored_column_matches: [
      [0, 1],
      [2, 3],
    ],
  },
  needsLabels: true,
  fromData: {
    keys: { mirrored_column_matches: 'mirrored_column_matches' },
    replace: true,
    read: (data) => {
      const m = data.mirrored_column_matches;
      if (!m || m.length === 0)
        return either.left([issue('data.mirrored_column_matches', 'pca_multiview needs mirrored_column_matches (one list of keypoint indices per view)')]);
      if (!m.every((v) => typeof v === 'number')) return either.right({ mirrored_column_matches: m });
      if (!data.num_keypoints) return either.left([issue('data.num_keypoints', 'needed to expand a flat mirrored_column_matches over data.view_names')]);
      return either.right({ mirrored_column_matches: expandFlatMatches(m as number[], data.view_names?.length ?? 0, data.num_keypoints) });
    },
  },
  checkBlock: (block, path) => {
    const c = block.components_to_keep;
    return c !== undefined && c !== null && c !== 3
      ? [issue(`${path}.components_to_keep`, `pca_multiview always keeps 3 components (as the reference); got ${JSON.stringify(c)}: remove it or set it to 3`)]
      : [];
  },
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
