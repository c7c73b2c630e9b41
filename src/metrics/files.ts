import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { formatIssue, formatIssues } from '../config/issues.js';
import type { LpConfig } from '../config/lightningPose.js';
import { report } from '../config/reporter.js';
import { type PoseTable, selectKeypoints } from '../io/index.js';
import { TemporalParams } from '../losses/params.js';
import { PcaParams } from '../losses/pca.js';
import { firstDuplicate, pixelError64, temporalNorm64 } from './float64.js';
import { fitPcaMetric, type PcaMetric, type PcaView, pcaReprojectionErrorMetric } from './pca.js';
import { type KeypointStats, keypointStats } from './stats.js';

/** The metrics of a predictions file, named as the reference's output files `<stem>_<name>.csv`. */
export type MetricName = 'pixel_error' | 'temporal_norm' | 'pca_singleview_error' | 'pca_multiview_error' | 'reprojection_error' | 'temporal_norm_3d';

/** What each metric is, for tables and the report. */
export const METRIC_FILES: Readonly<Record<MetricName, { suffix: string; title: string; unit?: string }>> = {
  pixel_error: { suffix: '_pixel_error.csv', title: 'pixel error: distance to the label' },
  temporal_norm: { suffix: '_temporal_norm.csv', title: 'temporal norm: distance moved since the previous frame' },
  pca_singleview_error: { suffix: '_pca_singleview_error.csv', title: 'PCA singleview: distance to the subspace of labeled poses' },
  pca_multiview_error: { suffix: '_pca_multiview_error.csv', title: 'PCA multiview: inconsistency between views' },
  reprojection_error: { suffix: '_reprojection_error.csv', title: 'reprojection error: distance to the reprojected all-view triangulation' },
  temporal_norm_3d: {
    suffix: '_temporal_norm_3d.csv',
    title: '3-D temporal norm: distance the triangulated point moved since the previous frame',
    unit: 'calibration units',
  },
};

/** One metric of one file: (frames, keypoints) in pixels, NaN where undefined. */
export interface MetricResult {
  readonly name: MetricName;
  /** Row-major (rows = frames, cols = keypoints); float64 (the PCA metrics: float32 values widened). */
  readonly values: Float64Array;
  /** The threshold of the matching loss (per keypoint when a list), null when it has none. */
  readonly epsilon: number | readonly number[] | null;
  /** Where the threshold comes from, e.g. `losses.temporal.epsilon`. */
  readonly epsilonSource: string | null;
  readonly stats: KeypointStats[];
}

export interface FileMetrics {
  readonly file: string;
  /** The file's name without `.csv`: outputs are `<stem>_<metric>.csv`. */
  readonly stem: string;
  readonly keypoints: string[];
  readonly index: string[];
  readonly set?: string[];
  /** Video predictions (temporal norm) or predictions of labeled frames (pixel error, a `set` column). */
  readonly kind: 'video' | 'labeled';
  readonly metrics: MetricResult[];
  /** Things the user should know that do not stop the run (e.g. repeated frame indices in a video file). */
  readonly warnings: string[];
}

interface PcaPlan {
  readonly view: PcaView;
  readonly block: PcaParams;
  readonly path: string;
  readonly params: Record<string, unknown>;
}

/** What the config asks for, decoded once for every predictions file. */
export interface MetricsSetup {
  readonly cfg: LpConfig;
  readonly labels: PoseTable | null;
  readonly pca: readonly PcaPlan[];
  readonly temporalEpsilon: number | readonly number[] | null;
  /** Fitted PCAs by the keypoint list they were fitted for. */
  readonly fits: Map<string, PcaMetric>;
}

const nonEmpty = (l: readonly unknown[] | null | undefined): boolean => !!l && l.length > 0;
const list = (names: readonly string[]): string => `[${names.join(', ')}]`;
const quoted = (names: readonly string[]): string => names.map((n) => JSON.stringify(n)).join(', ');

/**
 * Decodes what the metrics read from a Lightning Pose config: the PCA metrics (when
 * `data.columns_for_singleview_pca` / `data.mirrored_column_matches` are given; each reads
 * its own `losses.pca_*` block) and the temporal epsilon. Errors carry config paths.
 */
export const setupMetrics = (cfg: LpConfig, labels: PoseTable | null): Either<string[], MetricsSetup> => {
  const errs: string[] = [];
  const pca: PcaPlan[] = [];
  const block = (view: PcaView): PcaParams | null => {
    const path = `losses.pca_${view}`;
    const b = PcaParams.decode(cfg.losses[`pca_${view}`] ?? {});
    if (either.isLeft(b)) return (errs.push(...report(b.left, path).map(formatIssue)), null);
    return b.right;
  };
  const columns = cfg.data.columns_for_singleview_pca;
  if (nonEmpty(columns)) {
    const b = block('singleview');
    if (b)
      pca.push({
        view: 'singleview',
        block: b,
        path: 'losses.pca_singleview',
        params: {
          components_to_keep: b.components_to_keep,
          empirical_epsilon_percentile: b.empirical_epsilon_percentile,
          columns_for_singleview_pca: columns,
          centering_method: b.centering_method,
        },
      });
  }
  const matches = cfg.data.mirrored_column_matches;
  if (nonEmpty(matches)) {
    if (!Array.isArray(matches![0]))
      errs.push(
        'data.mirrored_column_matches: a flat list (one view’s indices, for multiview datasets) cannot be applied to one predictions file; give one list of keypoint indices per view',
      );
    else {
      const b = block('multiview');
      if (b)
        pca.push({
          view: 'multiview',
          block: b,
          path: 'losses.pca_multiview',
          params: { empirical_epsilon_percentile: b.empirical_epsilon_percentile, mirrored_column_matches: matches },
        });
    }
  }
  if (pca.length > 0 && !labels)
    errs.push(
      `${pca.map((p) => (p.view === 'singleview' ? 'data.columns_for_singleview_pca' : 'data.mirrored_column_matches')).join(' and ')}: ` +
        `the PCA metrics are fitted on labeled frames: pass the labels file (--labels CollectedData.csv)`,
    );
  let temporalEpsilon: number | readonly number[] | null = null;
  const tb = cfg.losses.temporal;
  if (tb !== undefined) {
    const t = TemporalParams.decode(tb);
    if (either.isLeft(t)) errs.push(...report(t.left, 'losses.temporal').map(formatIssue));
    else temporalEpsilon = t.right.epsilon;
  }
  return errs.length ? either.left(errs) : either.right({ cfg, labels, pca, temporalEpsilon, fits: new Map() });
};

/**
 * The keypoints of a predictions file checked against the config's `data.keypoint_names` (when
 * given: the same names on both sides) and the labels restricted to them, in the predictions'
 * order (the labels may hold more). A missing name is an error listing both sides.
 */
export const matchKeypoints = (cfg: LpConfig, preds: PoseTable, labels: PoseTable | null): Either<string, PoseTable | null> => {
  const names = cfg.data.keypoint_names;
  if (names) {
    const notInPreds = names.filter((n) => !preds.keypoints.includes(n));
    const notInCfg = preds.keypoints.filter((n) => !names.includes(n));
    if (notInPreds.length || notInCfg.length)
      return either.left(
        `${preds.file}: its keypoints do not match data.keypoint_names of the config: ` +
          [
            notInPreds.length ? `${quoted(notInPreds)} in the config but not in the predictions` : '',
            notInCfg.length ? `${quoted(notInCfg)} in the predictions but not in the config` : '',
          ]
            .filter(Boolean)
            .join('; ') +
          `. Config: ${list(names)}; predictions: ${list(preds.keypoints)}`,
      );
  }
  if (!labels) return either.right(null);
  const missing = preds.keypoints.filter((n) => !labels.keypoints.includes(n));
  if (missing.length)
    return either.left(
      `${labels.file}: the labels have no keypoint(s) ${quoted(missing)} of the predictions ${preds.file}. ` +
        `Predictions: ${list(preds.keypoints)}; labels: ${list(labels.keypoints)}`,
    );
  return selectKeypoints(labels, preds.keypoints);
};

/** For each predictions row, its row in the labels (matched by index); an error naming the first row without one, or a repeated index. */
const matchRows = (preds: PoseTable, labels: PoseTable): Either<string, Int32Array> => {
  for (const t of [labels, preds]) {
    const d = firstDuplicate(t.index);
    if (d)
      return either.left(
        `${t.file}: frame rows ${d.first + 1} and ${d.second + 1} have the same index "${d.value}"; ` +
          `pixel error matches predictions to labels by index, so every ${t === labels ? 'labeled' : 'predicted'} frame needs its own index`,
      );
  }
  const at = new Map<string, number>();
  for (let r = 0; r < labels.index.length; r++) at.set(labels.index[r], r);
  const rows = new Int32Array(preds.index.length);
  for (let r = 0; r < preds.index.length; r++) {
    const l = at.get(preds.index[r]);
    if (l === undefined)
      return either.left(
        `${preds.file}, frame row ${r + 1}: index "${preds.index[r]}" is not in the labels ${labels.file} ` +
          `(its ${labels.index.length} rows run ${labels.index.length ? `"${labels.index[0]}" … "${labels.index[labels.index.length - 1]}"` : 'empty'}); ` +
          `pixel error compares predictions of labeled frames with the labels of the same frames`,
      );
    rows[r] = l;
  }
  return either.right(rows);
};

const stemOf = (file: string): string => {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.toLowerCase().endsWith('.csv') ? base.slice(0, -4) : base;
};

/** A metric table (rows × cols) summarised. */
const result = (
  name: MetricName,
  values: Float64Array,
  rows: number,
  cols: number,
  epsilon: number | readonly number[] | null,
  epsilonSource: string | null,
): MetricResult => ({
  name,
  values,
  epsilon,
  epsilonSource,
  stats: keypointStats(values, rows, cols, epsilon),
});

/** A metric tensor (N, K) read back as float64; the tensor is disposed. */
const fromTensor = (t: tf.Tensor): Float64Array => {
  const v = Float64Array.from(t.dataSync());
  t.dispose();
  return v;
};

/**
 * The metrics of one predictions file, as the reference's `compute_metrics_single`: temporal
 * norm for video predictions, pixel error for predictions of labeled frames (a `set` column;
 * rows matched to the labels by index), and the PCA metrics the config asks for, the PCA fitted
 * on the labels. Every error names the file and the place.
 */
export const computeFileMetrics = (setup: MetricsSetup, preds: PoseTable): Either<string, FileMetrics> => {
  const labels = matchKeypoints(setup.cfg, preds, setup.labels);
  if (either.isLeft(labels)) return labels;
  const k = preds.keypoints.length;
  const n = preds.xy.rows;
  const kind = preds.hasSetColumn ? 'labeled' : 'video';
  if (kind === 'video' && n < 2)
    return either.left(`${preds.file}: the temporal norm needs at least 2 frames, the file has ${n} (a video predictions file: no set column)`);
  if (kind === 'labeled' && !labels.right)
    return either.left(`${preds.file}: predictions of labeled frames (a set column): the pixel error needs the labels file (--labels CollectedData.csv)`);
  const rows = kind === 'labeled' ? matchRows(preds, labels.right!) : null;
  if (rows && either.isLeft(rows)) return rows;

  // PCA fits are shared by files with the same keypoints
  const fits: PcaMetric[] = [];
  for (const p of setup.pca) {
    const key = `${p.view}\u0000${preds.keypoints.join('\u0000')}`;
    let fit = setup.fits.get(key);
    if (!fit) {
      const l = labels.right!;
      const f = fitPcaMetric(p.view, { data: l.xy.data, rows: l.xy.rows, cols: l.xy.cols }, p.params, p.path);
      if (either.isLeft(f)) return either.left(`fitting the ${p.view} PCA on ${l.file} (keypoints of ${preds.file}): ${formatIssues(f.left)}`);
      fit = f.right;
      setup.fits.set(key, fit);
    }
    fits.push(fit);
  }

  const metrics: MetricResult[] = [];
  const warnings: string[] = [];
  if (kind === 'video') {
    const d = firstDuplicate(preds.index);
    if (d)
      warnings.push(
        `${preds.file}: frame rows ${d.first + 1} and ${d.second + 1} have the same index "${d.value}"; the temporal norm is computed in file order as given`,
      );
    const eps = setup.temporalEpsilon;
    if (Array.isArray(eps) && eps.length !== k)
      return either.left(`losses.temporal.epsilon: expected a number or ${k} numbers (one per keypoint of ${preds.file}), got ${eps.length}`);
    metrics.push(result('temporal_norm', temporalNorm64(preds.xy.data, n, k), n, k, eps, eps === null ? null : 'losses.temporal.epsilon'));
  } else {
    const r = (rows as either.Right<Int32Array>).right;
    metrics.push(result('pixel_error', pixelError64(preds.xy.data, labels.right!.xy.data, r, k), n, k, null, null));
  }
  if (setup.pca.length > 0) {
    const pred = tf.tensor3d(Float32Array.from(preds.xy.data), [n, k, 2]);
    try {
      setup.pca.forEach((p, i) => {
        const fit = fits[i];
        const eps = p.block.epsilon ?? fit.epsilon * p.block.empirical_epsilon_multiplier;
        const source =
          p.block.epsilon !== null
            ? `${p.path}.epsilon`
            : `fitted: ${p.block.empirical_epsilon_percentile}th percentile of the labels' errors${p.block.empirical_epsilon_multiplier !== 1 ? ` × ${p.block.empirical_epsilon_multiplier}` : ''}`;
        const name = p.view === 'singleview' ? 'pca_singleview_error' : 'pca_multiview_error';
        metrics.push(
          result(name, fromTensor(pcaReprojectionErrorMetric(pred, fit)), n, k, Number.isFinite(eps) ? eps : null, Number.isFinite(eps) ? source : null),
        );
      });
    } finally {
      pred.dispose();
    }
  }
  return either.right({
    file: preds.file,
    stem: stemOf(preds.file),
    keypoints: preds.keypoints,
    index: preds.index,
    ...(preds.set ? { set: preds.set } : {}),
    kind,
    metrics,
    warnings,
  });
};
