import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { chooseComponentCount } from './components.js';
import { symmetricEigen } from './eigen.js';
import { nanMeanF32 } from './float32.js';
import { formatForPca, formatKey } from './format.js';
import { matrixProblem, sliceRows } from './matrix.js';
import { nanMeanColumns, nanPercentile, pairwiseCovariance } from './nanStats.js';
import { reprojectionError } from './reproject.js';
import type { ComponentsToKeep, Matrix64, PcaFit, PcaFormat } from './types.js';

/** Number of components a multiview PCA always keeps (reference: fixed at 3). */
export const MULTIVIEW_COMPONENTS = 3;

export interface FitOptions {
  format: PcaFormat;
  /** Ignored for multiview, which always keeps 3. */
  componentsToKeep: ComponentsToKeep;
  /** Percentile (0..100) of the fit rows' reprojection errors used as empirical epsilon. */
  percentile: number;
}

const infiniteEntry = (x: Matrix64): string | null => {
  const { data, cols } = x;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v === Infinity || v === -Infinity) {
      return `the PCA fit data has an infinite value at frame ${Math.floor(i / cols)}, column ${i % cols}`;
    }
  }
  return null;
};

/**
 * Fits Lightning Pose's keypoint PCA (spec §11) on labels (frames, 2K), NaN = unlabelled:
 * format, check rows ≥ columns, nanmean, pairwise-complete covariance, symmetric
 * eigendecomposition (descending, clipped at 0, sign rule), choice of n, reprojection errors of
 * the fit rows and their `percentile`-th nanpercentile (the empirical epsilon, NaN when every
 * formatted row has a NaN; see `requireFiniteEpsilon`).
 */
export function fitKeypointPca(labels: Matrix64, opts: { format: PcaFormat; componentsToKeep: ComponentsToKeep; percentile: number }): Either<string, PcaFit> {
  const mp = matrixProblem(labels, 'the PCA fit data');
  if (mp) return either.left(mp);
  const inf = infiniteEntry(labels);
  if (inf) return either.left(inf);
  if (!(opts.percentile >= 0 && opts.percentile <= 100)) {
    return either.left(`empirical_epsilon_percentile = ${opts.percentile} must be within [0, 100]`);
  }
  const fmt = opts.format;
  const formatted = formatForPca(labels, fmt);
  if (either.isLeft(formatted)) return formatted;
  const x = formatted.right;
  const d = x.cols;
  if (x.rows < d) {
    // singleview: rows = frames, dims = 2 × selected keypoints; multiview: rows = frames ×
    // matched keypoints, dims = 2 × views
    const fix =
      fmt.kind === 'singleview'
        ? 'label more frames or drop keypoints from columns_for_singleview_pca'
        : 'label more frames or match more keypoints across the views in mirrored_column_matches';
    return either.left(`cannot fit PCA with ${x.rows} samples < ${d} dimensions: ${fix}`);
  }

  // covariance in float64 around the float64 nanmean (numpy ma.cov); the stored mean is the
  // float32 nanmean the reference keeps (its multiview rows are a transposed view: pairwise sum)
  const colMean = nanMeanColumns(x);
  // a column never observed has no mean and no variance: every later loss would be NaN
  const unseen = colMean.findIndex((m) => Number.isNaN(m));
  if (unseen >= 0) {
    return either.left(
      `cannot fit PCA: PCA column ${unseen} (${unseen % 2 === 0 ? 'x' : 'y'} of PCA keypoint ${unseen >> 1}) is never labelled in the ${x.rows} fit rows: ` +
        `drop that keypoint from ${formatKey(fmt)} or label it in some frames`,
    );
  }
  const cov = pairwiseCovariance(x, colMean);
  const mean = nanMeanF32(x, fmt.kind === 'singleview' ? 'sequential' : 'pairwise');
  const { values, vectors } = symmetricEigen(cov);
  const nComp = Math.min(x.rows, d);
  const components = nComp === d ? vectors : sliceRows(vectors, 0, nComp);
  const explainedVariance = values.slice(0, nComp);
  let total = 0;
  for (let i = 0; i < nComp; i++) total += explainedVariance[i];
  const explainedVarianceRatio = explainedVariance.map((v) => v / total);

  let nKept: number;
  if (fmt.kind === 'multiview') {
    if (nComp < MULTIVIEW_COMPONENTS) {
      return either.left(
        `pca_multiview keeps ${MULTIVIEW_COMPONENTS} components but its rows have only ${d} dimensions ` +
          `(${fmt.matches.length} view(s) × 2): mirrored_column_matches needs at least 2 views`,
      );
    }
    nKept = MULTIVIEW_COMPONENTS;
  } else {
    const n = chooseComponentCount(explainedVarianceRatio, opts.componentsToKeep);
    if (either.isLeft(n)) return n;
    nKept = n.right;
  }
  const kept = sliceRows(components, 0, nKept);
  const discarded = sliceRows(components, nKept, nComp);
  const fitReprojectionError = reprojectionError(x, mean, kept);
  const epsilonEmpirical = nanPercentile(fitReprojectionError.data, opts.percentile);
  return either.right({
    format: fmt,
    mean,
    components,
    explainedVariance,
    explainedVarianceRatio,
    nKept,
    kept,
    discarded,
    formattedFit: x,
    fitReprojectionError,
    epsilonEmpirical,
  });
}

/**
 * The fit's empirical epsilon, or a build error when it is NaN (deviation D5: every formatted
 * training row misses a PCA keypoint, so no row yields a reprojection error).
 */
export function requireFiniteEpsilon(fit: PcaFit): Either<string, number> {
  const eps = fit.epsilonEmpirical;
  if (Number.isFinite(eps)) return either.right(eps);
  const key = formatKey(fit.format);
  return either.left(
    `the empirical PCA epsilon is undefined: every formatted training row (${fit.formattedFit.rows} rows) misses ` +
      `at least one PCA keypoint, so no row gives a reprojection error. Drop never-labelled keypoints from ` +
      `${key}, add fully labelled frames, or set an explicit epsilon.`,
  );
}
