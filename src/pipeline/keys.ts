import type { InputKey } from './inputs.js';

/**
 * What a tensor under a key holds, which fixes where its keypoint axis is:
 * - `flat`     (B, 2K): x, y of keypoint k at columns 2k, 2k+1
 * - `heatmaps` (B, K, H, W)
 * - `points`   (..., K, C): a trailing coordinate axis (3-D keypoints, reprojected 2-D keypoints)
 * - `grid`     (B, K) or (B, P, K): one value per keypoint (confidences)
 */
export type KeyKind = 'flat' | 'heatmaps' | 'points' | 'grid';

export const INPUT_KINDS: Record<InputKey, KeyKind> = {
  keypoints_targ: 'flat',
  keypoints_pred: 'flat',
  keypoints_pred_augmented: 'flat',
  heatmaps_targ: 'heatmaps',
  heatmaps_pred: 'heatmaps',
  confidences: 'grid',
  keypoints_targ_3d: 'points',
  keypoints_pred_3d: 'points',
  keypoints_pred_2d_reprojected: 'points',
};

/** The rank a tensor of a kind must have (null: any rank ≥ 2). */
export const expectedRank = (key: string, kind: KeyKind): number | null => {
  if (kind === 'flat') return 2;
  if (kind === 'heatmaps') return 4;
  if (kind === 'grid') return 2;
  if (key === 'keypoints_pred_3d') return 4;
  return 3;
};

/** The keypoint grid of a tensor: (B, K) for flat/heatmaps/grid; the shape without the coordinate axis for points. */
export const gridShape = (kind: KeyKind, shape: readonly number[]): number[] => {
  switch (kind) {
    case 'flat':
      return [shape[0], shape[1] / 2];
    case 'heatmaps':
      return [shape[0], shape[1]];
    case 'points':
      return shape.slice(0, -1);
    case 'grid':
      return [...shape];
  }
};

/** Number of keypoints of a tensor of this kind. */
export const keypointCount = (kind: KeyKind, shape: readonly number[]): number => {
  const g = gridShape(kind, shape);
  return g[g.length - 1];
};
