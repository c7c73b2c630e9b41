import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import type { LpConfig } from '../config/lightningPose.js';
import { readPoseCsv, selectKeypoints } from '../io/index.js';
import type { Labels } from '../pipeline/step.js';

/**
 * Labeled keypoints for fitting (PCA) from a pose CSV, in the order of the config's
 * `data.keypoint_names` when it gives them (a name missing in the file is an error listing both sides).
 */
export const loadLabels = (file: string, cfg?: LpConfig): Either<string, Labels & { keypoints: string[] }> => {
  const table = readPoseCsv(file);
  if (either.isLeft(table)) return table;
  const names = cfg?.data.keypoint_names;
  const t = names ? selectKeypoints(table.right, names) : table;
  if (either.isLeft(t)) return t;
  return either.right({ data: t.right.xy.data, rows: t.right.xy.rows, cols: t.right.xy.cols, keypoints: t.right.keypoints });
};
