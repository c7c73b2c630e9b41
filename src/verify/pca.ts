import type * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { formatForPca, type Matrix64, reprojectionError } from '../pca/index.js';
import type { Loss } from '../pipeline/loss.js';
import { compareArray, compareComponents, compareShape, compareValue, type Tol } from './compare.js';
import type { JsonTensor } from './format.js';

type ExpectedPca = {
  n_components_kept?: number;
  epsilon_empirical?: number | null;
  epsilon_used?: number;
  mean?: JsonTensor;
  kept_components?: JsonTensor;
  discarded_components?: JsonTensor;
  explained_variance?: JsonTensor;
  explained_variance_ratio?: JsonTensor;
  formatted_fit_shape?: number[];
  fit_reprojection_error?: JsonTensor;
  pred_formatted?: JsonTensor;
  pred_reprojection_error?: JsonTensor;
};

/**
 * Compare a PCA loss's fitted state with `expected.pca`: components up to sign (rows of equal or
 * near-zero eigenvalues as a subspace), atol 1e-4; every other field with the case's `tol`.
 */
export const comparePca = (loss: Loss, expected: Record<string, unknown>, pred: tf.Tensor | undefined, tol: Tol): string | null => {
  const arr = (what: string, actual: ArrayLike<number>, e: JsonTensor | undefined): string | null => (e ? compareArray(what, actual, e.data, tol) : null);
  const pca = loss.fitted?.pca;
  if (!pca) return 'pca: the loss has no fitted PCA state';
  const e = expected as ExpectedPca;
  const d = pca.mean.length;
  const ev = e.explained_variance ? e.explained_variance.data.map((v) => v ?? NaN) : null;
  const eig = (from: number, to?: number): number[] | null => (ev ? ev.slice(from, to) : null);
  const largest = ev ? Math.max(0, ...ev.map(Math.abs)) : 0;
  const checks: (() => string | null)[] = [
    () =>
      e.n_components_kept === undefined || e.n_components_kept === pca.nKept
        ? null
        : `pca.n_components_kept: expected ${e.n_components_kept}, got ${pca.nKept}`,
    () => (e.epsilon_empirical === undefined ? null : compareValue('pca.epsilon_empirical', pca.epsilonEmpirical, e.epsilon_empirical, tol)),
    () => (e.epsilon_used === undefined ? null : compareValue('pca.epsilon_used', typeof loss.epsilon === 'number' ? loss.epsilon : NaN, e.epsilon_used, tol)),
    () => arr('pca.mean', pca.mean, e.mean),
    () => (e.kept_components ? compareComponents('pca.kept_components', pca.kept.data, e.kept_components.data, d, eig(0, pca.nKept), largest, 1e-4) : null),
    () =>
      e.discarded_components
        ? compareComponents('pca.discarded_components', pca.discarded.data, e.discarded_components.data, d, eig(pca.nKept), largest, 1e-4)
        : null,
    () => arr('pca.explained_variance', pca.explainedVariance, e.explained_variance),
    () => arr('pca.explained_variance_ratio', pca.explainedVarianceRatio, e.explained_variance_ratio),
    () => (e.formatted_fit_shape ? compareShape('pca.formatted_fit_shape', [pca.formattedFit.rows, pca.formattedFit.cols], e.formatted_fit_shape) : null),
    () => arr('pca.fit_reprojection_error', pca.fitReprojectionError.data, e.fit_reprojection_error),
  ];
  for (const c of checks) {
    const m = c();
    if (m) return m;
  }
  if (pred && (e.pred_formatted || e.pred_reprojection_error)) {
    const x: Matrix64 = { data: Float64Array.from(pred.dataSync()), rows: pred.shape[0], cols: pred.shape[1]! };
    const f = formatForPca(x, pca.format);
    if (either.isLeft(f)) return `pca.pred_formatted: ${f.left}`;
    const m =
      arr('pca.pred_formatted', f.right.data, e.pred_formatted) ??
      arr('pca.pred_reprojection_error', reprojectionError(f.right, pca.mean, pca.kept).data, e.pred_reprojection_error);
    if (m) return m;
  }
  return null;
};
