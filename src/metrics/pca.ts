import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { issue, LossInputError, PoselossError, type PoselossIssue } from '../config/issues.js';
import type { PcaFit } from '../pca/types.js';
import { INPUT_KINDS } from '../pipeline/keys.js';
import type { BuiltCompute, Labels, StepSpec } from '../pipeline/step.js';
import { applyCompute } from '../steps/evaluate.js';
import { buildStep } from '../steps/registry.js';

export type PcaView = 'singleview' | 'multiview';

/**
 * The PCA settings of a metric, named as the reference's KeypointPCA constructor (spec §11):
 * `components_to_keep` (number, or a decoded ComponentsToKeep; multiview always keeps 3),
 * `empirical_epsilon_percentile`, `columns_for_singleview_pca` and `centering_method`
 * (singleview), `mirrored_column_matches` (multiview, one index list per view). Other keys
 * (`loss_type`, `device`, …) are ignored. Defaults are the reference PCALoss's.
 */
export type PcaMetricParams = Readonly<Record<string, unknown>>;

/** A keypoint PCA fitted for a metric: the `pca_reprojection` compute step plus where its outputs go. */
export interface PcaMetric {
  readonly view: PcaView;
  /** Keypoints of the data the PCA was fitted on (and predictions must have). */
  readonly keypoints: number;
  /** The keypoints the metric reports; all others are NaN. */
  readonly used: readonly number[];
  /** The fitted PCA (mean, components, fit errors). */
  readonly pca: PcaFit;
  /** The fitted empirical epsilon (before any multiplier); NaN when undefined (D5). */
  readonly epsilon: number;
  /** The compute step the PCA losses run, built on the labels. */
  readonly step: BuiltCompute;
  /** For each keypoint, its column in the step's output laid out as (N, ·), or -1 when unused. */
  readonly columnOf: readonly number[];
}

const orNull = (u: unknown): unknown => (u === undefined ? null : u);

/**
 * Fits the PCA of a metric on `labels` (frames, 2K), NaN = unlabelled, by building the
 * `pca_reprojection` compute step of the registry (the step the PCA losses use) with those
 * labels: decode errors carry `path`, fitting errors (too few rows, bad indices) too.
 */
export const fitPcaMetric = (view: PcaView, labels: Labels, params: PcaMetricParams, path = `pca_${view}`): Either<PoselossIssue[], PcaMetric> => {
  const spec: StepSpec = {
    compute: 'pca_reprojection',
    of: 'keypoints_pred',
    view,
    ...(params.components_to_keep !== undefined ? { components_to_keep: view === 'multiview' ? { kind: 'count', n: 3 } : params.components_to_keep } : {}),
    ...(params.empirical_epsilon_percentile !== undefined ? { empirical_epsilon_percentile: params.empirical_epsilon_percentile } : {}),
    ...(view === 'singleview'
      ? { columns: orNull(params.columns_for_singleview_pca), centering_method: orNull(params.centering_method) }
      : { mirrored_column_matches: orNull(params.mirrored_column_matches) }),
  };
  const m = params.mirrored_column_matches;
  if (view === 'multiview' && Array.isArray(m) && m.length > 0 && !Array.isArray(m[0]))
    return either.left([
      issue(
        `${path}.mirrored_column_matches`,
        'a flat list of indices (one view’s, for multiview datasets) must first be expanded over the views (pca.expandFlatMatches): give one list of keypoint indices per view',
      ),
    ]);
  if (labels.cols % 2 !== 0 || labels.data.length !== labels.rows * labels.cols)
    return either.left([
      issue(path, `labels must be (frames, 2K) with x, y per keypoint; got ${labels.rows}×${labels.cols} with ${labels.data.length} values`),
    ]);
  const built = buildStep(spec, { kinds: INPUT_KINDS, labels, path, loss: path });
  if (either.isLeft(built)) return built;
  const step = built.right;
  const pca = step.phase === 'compute' ? step.fitted?.pca : undefined;
  if (step.phase !== 'compute' || !pca) return either.left([issue(path, 'the pca_reprojection step did not fit a PCA')]);
  const k = labels.cols / 2;
  const columnOf: number[] = new Array(k).fill(-1);
  const fmt = pca.format;
  if (fmt.kind === 'singleview') (fmt.columns ?? columnOf.map((_, i) => i)).forEach((kp, j) => (columnOf[kp] = j));
  else {
    // step output (N·K_m, V) viewed as (N, V·K_m): matched keypoint j of view v at v·K_m + j
    const km = fmt.matches[0].length;
    fmt.matches.forEach((m, v) => m.forEach((kp, j) => (columnOf[kp] = v * km + j)));
  }
  const used = columnOf.flatMap((c, i) => (c === -1 ? [] : [i]));
  return either.right({ view, keypoints: k, used, pca, epsilon: pca.epsilonEmpirical, step, columnOf });
};

/** `fitPcaMetric`, throwing a PoselossError with the same messages. */
export const fitPcaMetricOrThrow = (view: PcaView, labels: Labels, params: PcaMetricParams, path?: string): PcaMetric => {
  const r = fitPcaMetric(view, labels, params, path);
  if (either.isLeft(r)) throw new PoselossError(r.left);
  return r.right;
};

/**
 * Reprojection error (N, K) of predictions (N, K, 2) or (N, 2K) onto a fitted PCA: the PCA
 * losses' compute step without epsilon or reduction, scattered back to the keypoints; NaN for
 * keypoints the PCA does not use, and for every used keypoint of a row (singleview) or a
 * matched keypoint (multiview) with a NaN. With centering the distance is measured between the
 * centred prediction and its reprojection (D6).
 */
export const pcaReprojectionErrorMetric = (pred: tf.Tensor, m: PcaMetric): tf.Tensor => {
  const n = pred.shape[0];
  const flat = pred.rank === 3 ? pred.reshape([n, pred.shape[1]! * pred.shape[2]!]) : pred;
  try {
    if (flat.rank !== 2 || flat.shape[1] !== 2 * m.keypoints)
      throw new LossInputError(
        `pca_${m.view}_reprojection_error: predictions (${pred.shape.join(',')}) must be (N, ${m.keypoints}, 2) or (N, ${2 * m.keypoints}): the PCA was fitted on ${m.keypoints} keypoints`,
      );
    if (n === 0) return tf.zeros([0, m.keypoints]);
    const err = applyCompute(m.step, [flat]);
    try {
      return tf.tidy(() => {
        // multiview rows are (frame, matched keypoint): (N·K_m, V) → (N, K_m, V) → (N, V, K_m) → (N, V·K_m)
        const cols =
          m.view === 'multiview'
            ? err
                .reshape([n, err.shape[0] / n, err.shape[1]!])
                .transpose([0, 2, 1])
                .reshape([n, -1])
            : err;
        const nanCol = cols.shape[1]!;
        const padded = tf.concat([cols, tf.fill([n, 1], NaN)], 1);
        return tf.gather(
          padded,
          tf.tensor1d(
            m.columnOf.map((c) => (c === -1 ? nanCol : c)),
            'int32',
          ),
          1,
        );
      });
    } finally {
      err.dispose();
    }
  } finally {
    if (flat !== pred) flat.dispose();
  }
};

const requireView = (m: PcaMetric, view: PcaView): void => {
  if (m.view !== view) throw new LossInputError(`pca_${view}_reprojection_error needs a ${view} PCA; this one is ${m.view}`);
};

/** `pca_singleview_reprojection_error` (N, K): see `pcaReprojectionErrorMetric`. */
export const pcaSingleviewReprojectionError = (pred: tf.Tensor, m: PcaMetric): tf.Tensor => (requireView(m, 'singleview'), pcaReprojectionErrorMetric(pred, m));

/** `pca_multiview_reprojection_error` (N, K): see `pcaReprojectionErrorMetric`. */
export const pcaMultiviewReprojectionError = (pred: tf.Tensor, m: PcaMetric): tf.Tensor => (requireView(m, 'multiview'), pcaReprojectionErrorMetric(pred, m));
