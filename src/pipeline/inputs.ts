import type * as tf from '@tensorflow/tfjs';

/** Every input key a loss may read, with its shape convention (see README "Inputs"). */
export const INPUT_KEYS = [
  'keypoints_targ', //               (B, 2K)  x0, y0, x1, y1, ...
  'keypoints_pred', //               (B, 2K)
  'keypoints_pred_augmented', //     (B, 2K)
  'heatmaps_targ', //                (B, K, H, W)
  'heatmaps_pred', //                (B, K, H, W)
  'confidences', //                  (B, K)
  'keypoints_targ_3d', //            (B, K, 3)
  'keypoints_pred_3d', //            (B, P, K, 3)
  'keypoints_pred_2d_reprojected', // (B, K, 2) original-image pixels
] as const;

export type InputKey = (typeof INPUT_KEYS)[number];

/** Input keys that hold predictions: a loss's gradient is taken with respect to these. */
export const PREDICTION_KEYS: readonly InputKey[] = [
  'keypoints_pred',
  'keypoints_pred_augmented',
  'heatmaps_pred',
  'keypoints_pred_3d',
  'keypoints_pred_2d_reprojected',
];

/**
 * The inputs of a loss that reads the keys `K`, of which it reads `O` only when present.
 * Extra keys are allowed and ignored, as in the reference (a factory hands every loss every input).
 */
export type Inputs<K extends string = InputKey, O extends string = never> = { readonly [P in Exclude<K, O>]: tf.Tensor } & {
  readonly [P in O & K]?: tf.Tensor;
} & {
  readonly [extra: string]: tf.Tensor | undefined;
};

/** Training stage; interpolated verbatim into log names (`null` → "None", as the reference). */
export type Stage = 'train' | 'val' | 'test' | (string & {}) | null;

export const stageName = (stage: Stage): string => (stage === null ? 'None' : stage);

export const isInputKey = (k: string): k is InputKey => (INPUT_KEYS as readonly string[]).includes(k);
