/**
 * Types of the keypoint PCA (Lightning Pose's KeypointPCA / NaNPCA, spec §11).
 */

/** Row-major dense matrix of doubles: entry (r, c) is `data[r * cols + c]`. */
export interface Matrix64 {
  data: Float64Array;
  rows: number;
  cols: number;
}

/**
 * How many principal components the PCA keeps.
 * - `count`: exactly `n` (0 keeps none: the reprojection is the mean);
 * - `fraction`: the smallest n whose cumulative explained-variance ratio reaches `f` ∈ (0, 1];
 *   `f = 1` keeps all;
 * - `all`: every fitted component.
 */
export type ComponentsToKeep = { kind: 'count'; n: number } | { kind: 'fraction'; f: number } | { kind: 'all' };

/** Per-frame centering of the selected keypoints (singleview only). */
export type Centering = 'mean' | 'median' | null;

/**
 * How a (frames, 2K) keypoint matrix becomes PCA rows.
 * - singleview: one row per frame, the keypoints `columns` (all when null) in the given order,
 *   optionally centred per frame → (frames, 2·K_sel);
 * - multiview: `matches[v][j]` is keypoint j seen in view v; one row per (frame, j), frame-major,
 *   columns x_v0, y_v0, x_v1, y_v1, … → (frames·K_m, 2V).
 */
export type PcaFormat =
  | { kind: 'singleview'; columns: readonly number[] | null; centering: Centering }
  | { kind: 'multiview'; matches: readonly (readonly number[])[] };

/** A fitted keypoint PCA. */
export interface PcaFit {
  format: PcaFormat;
  /** Per-column nanmean of the formatted fit data, (D,); NaN for a column never observed. */
  mean: Float64Array;
  /** All fitted components as rows (min(rows, D) × D), by descending variance, sign rule applied. */
  components: Matrix64;
  explainedVariance: Float64Array;
  explainedVarianceRatio: Float64Array;
  nKept: number;
  /** The first `nKept` rows of `components`. */
  kept: Matrix64;
  /** The remaining rows of `components`. */
  discarded: Matrix64;
  /** The formatted fit data. */
  formattedFit: Matrix64;
  /** Per-keypoint reprojection error of the fit rows, (rows, D/2); NaN for rows with any NaN. */
  fitReprojectionError: Matrix64;
  /** nanPercentile of the fit rows' errors (rows without NaN only); NaN when every row has a NaN. */
  epsilonEmpirical: number;
}
