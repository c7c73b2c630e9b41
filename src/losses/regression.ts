import { defineLoss } from './define.js';
import { RegressionParams } from './params.js';

const of = ['keypoints_targ', 'keypoints_pred'];

/** Mean squared error over the non-NaN target coordinates (reference §5; epsilon ignored as there). */
export const regression = defineLoss<typeof RegressionParams, 'keypoints_targ' | 'keypoints_pred'>({
  name: 'regression',
  doc: 'squared error per coordinate, mean over labeled coordinates',
  params: RegressionParams,
  pipeline: () => [{ mask: 'nan_targets', of: 'keypoints_targ' }, { compute: 'squared_error', of }, { reduce: 'mean' }],
});

/** Per keypoint sqrt(mean(dx², dy²)), mean over keypoints whose target is labeled (D4). */
export const rmse = defineLoss<typeof RegressionParams, 'keypoints_targ' | 'keypoints_pred'>({
  name: 'rmse',
  doc: 'root mean square error per keypoint (‖d‖/√2), mean over labeled keypoints',
  params: RegressionParams,
  pipeline: () => [{ mask: 'nan_keypoints', of: 'keypoints_targ' }, { compute: 'rms_error', of }, { reduce: 'mean' }],
});
