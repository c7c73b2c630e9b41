import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { fitKeypointPca, formatForPca, reprojectionError, requireFiniteEpsilon } from '../../src/pca/index.js';
import { expectClose, expectComponentsMatch } from './close.js';
import { goldenFiles, pcaSettings, readGolden, sharedExists, toArray, toMatrix, warnIfNoShared } from './sharedData.js';

warnIfNoShared('pca golden');

describe.skipIf(!sharedExists)('PCA golden vectors (../shared/golden/pca_*.json)', () => {
  const files = goldenFiles('pca_');

  it('finds the PCA cases', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  for (const file of files) {
    it(file, () => {
      const g = readGolden(file);
      const settings = pcaSettings(g.loss, g.params);
      const fitData = toMatrix(g.inputs.fit_keypoints);
      const fit = fitKeypointPca(fitData, settings);
      if (g.expected.error) {
        expect(either.isLeft(fit), `${file} must fail`).toBe(true);
        if (either.isLeft(fit)) expect(fit.left).toMatch(/^cannot fit PCA with 8 samples < 10 dimensions/);
        return;
      }
      if (either.isLeft(fit)) throw new Error(`${file}: ${fit.left}`);
      const f = fit.right;
      const p = g.expected.pca;
      expect(f.nKept).toBe(p.n_components_kept);
      expectClose([f.epsilonEmpirical], [p.epsilon_empirical], 'epsilon_empirical');
      expectClose(f.mean, toArray(p.mean), 'mean');
      expect([f.kept.rows, f.kept.cols]).toEqual(p.kept_components.shape);
      expect([f.discarded.rows, f.discarded.cols]).toEqual(p.discarded_components.shape);
      // kept and discarded rows are compared up to sign; a numerically degenerate eigenvalue
      // cluster (centering's null space) is compared as a subspace, and must not straddle the cut
      const ev = toArray(p.explained_variance);
      const all = new Float64Array([...toArray(p.kept_components), ...toArray(p.discarded_components)]);
      expectComponentsMatch(f.components.data, all, ev, f.components.cols, 'components');
      if (f.nKept > 0 && f.nKept < ev.length) {
        expect(Math.abs(ev[f.nKept - 1] - ev[f.nKept]), 'kept/discarded cut inside a degenerate cluster').toBeGreaterThan(1e-9 * ev[0]);
      }
      expectClose(f.explainedVariance, toArray(p.explained_variance), 'explained_variance');
      expectClose(f.explainedVarianceRatio, toArray(p.explained_variance_ratio), 'explained_variance_ratio');
      expect([f.formattedFit.rows, f.formattedFit.cols]).toEqual(p.formatted_fit_shape);
      expect([f.fitReprojectionError.rows, f.fitReprojectionError.cols]).toEqual(p.fit_reprojection_error.shape);
      expectClose(f.fitReprojectionError.data, toArray(p.fit_reprojection_error), 'fit_reprojection_error');

      const pred = formatForPca(toMatrix(g.inputs.keypoints_pred), settings.format);
      if (either.isLeft(pred)) throw new Error(pred.left);
      expect([pred.right.rows, pred.right.cols]).toEqual(p.pred_formatted.shape);
      expectClose(pred.right.data, toArray(p.pred_formatted), 'pred_formatted');
      const err = reprojectionError(pred.right, f.mean, f.kept);
      expect([err.rows, err.cols]).toEqual(p.pred_reprojection_error.shape);
      expectClose(err.data, toArray(p.pred_reprojection_error), 'pred_reprojection_error');

      const eps = requireFiniteEpsilon(f);
      expect(either.isRight(eps)).toBe(true);
    });
  }

  it('factory_unsupervised_pca_temporal_anneal.json: fitted pca_singleview epsilon', () => {
    const g = readGolden('factory_unsupervised_pca_temporal_anneal.json');
    const fit = fitKeypointPca(toMatrix(g.inputs.fit_keypoints), {
      format: { kind: 'singleview', columns: null, centering: null },
      componentsToKeep: { kind: 'fraction', f: 0.99 },
      percentile: 99,
    });
    if (either.isLeft(fit)) throw new Error(fit.left);
    expectClose([fit.right.epsilonEmpirical], [g.expected.instances.pca_singleview.epsilon], 'epsilon');
  });
});
