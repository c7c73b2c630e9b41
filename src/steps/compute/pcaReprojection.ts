import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { either } from 'fp-ts';
import type { BuiltCompute, StepDef } from '../../pipeline/step.js';
import { issue } from '../../config/issues.js';
import { opaqueLayout } from '../../pipeline/layout.js';
import { inRange, nullable, oneOf } from '../../config/codecs.js';
import { safeNorm } from '../../ops/safeNorm.js';
import { medianLastAxis } from '../../ops/median.js';
import { toPairs } from '../../ops/pairs.js';
import { fitKeypointPca, requireFiniteEpsilon, type PcaFit, type PcaFormat } from '../../pca/index.js';
import { formatProblem } from '../../pca/format.js';
import { ComponentsToKeepCodec, IndexList, MatchesCodec } from '../../pca/codecs.js';
import { stepCodec, resolveKeys } from '../common.js';

const codec = stepCodec(
  'compute',
  'pca_reprojection',
  {
    of: t.string,
    view: oneOf(['singleview', 'multiview'] as const, 'view'),
    components_to_keep: ComponentsToKeepCodec,
    empirical_epsilon_percentile: inRange(0, 100),
    columns: nullable(IndexList),
    centering_method: nullable(oneOf(['mean', 'median'] as const, 'centering_method')),
    mirrored_column_matches: nullable(MatchesCodec),
  },
  { of: 'keypoints_pred', view: 'singleview', components_to_keep: { kind: 'fraction', f: 0.95 }, empirical_epsilon_percentile: 99, columns: null, centering_method: null, mirrored_column_matches: null },
);

/** Keypoints `idx` of (B, K, 2) as (B, |idx|, 2), by slices (gather has no wasm gradient). */
const pick = (pts: tf.Tensor, idx: readonly number[]): tf.Tensor => {
  const [b] = pts.shape as number[];
  const runs: [number, number][] = [];
  for (const i of idx) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === i) last[1]++;
    else runs.push([i, 1]);
  }
  const parts = runs.map(([start, n]) => pts.slice([0, start, 0], [b, n, 2]));
  return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
};

/** Predictions (B, 2K) formatted as the fit data: singleview (B, 2·K_sel), multiview (B·K_m, 2V). */
export const formatTensor = (x: tf.Tensor, fmt: PcaFormat, k: number): tf.Tensor => {
  const pts = toPairs(x);
  const b = x.shape[0];
  if (fmt.kind === 'multiview') {
    const views = fmt.matches.map((m) => pick(pts, m)); // V × (B, K_m, 2)
    return tf.concat(views, 2).reshape([b * fmt.matches[0].length, 2 * fmt.matches.length]);
  }
  const sel = fmt.columns === null ? pts : pick(pts, fmt.columns);
  const n = fmt.columns === null ? k : fmt.columns.length;
  if (fmt.centering === null) return sel.reshape([b, 2 * n]);
  // per frame and coordinate, over the selected keypoints; a frame with any NaN becomes all NaN
  const byCoord = sel.transpose([0, 2, 1]); // (B, 2, n)
  const centre = fmt.centering === 'mean' ? byCoord.mean(-1, true) : (medianLastAxis(byCoord) as tf.Tensor).expandDims(-1);
  const anyNaN = sel.isNaN().any([1, 2]).reshape([b, 1, 1]);
  const centred = tf.where(anyNaN, tf.fill(sel.shape, NaN), sel.sub(centre.transpose([0, 2, 1])));
  return centred.reshape([b, 2 * n]);
};

/** Per-keypoint distance between formatted rows and their reprojection onto the kept components. */
export const reprojectionErrorTensor = (x: tf.Tensor, mean: tf.Tensor, kept: tf.Tensor): tf.Tensor => {
  const centred = x.sub(mean);
  const r = kept.shape[0] === 0 ? mean.expandDims(0) : centred.matMul(kept, false, true).matMul(kept).add(mean);
  return safeNorm(toPairs(x.sub(r)), -1);
};

/** The fitted state a PCA compute step carries (shown by `explain`, compared by `verify`). */
export interface PcaFitted {
  readonly epsilon: number;
  readonly epsilonProblem?: string;
  readonly pca: PcaFit;
}

/**
 * Reprojection error of predictions onto a keypoint PCA fitted, at build time, on the
 * labeled keypoints handed to the builder: singleview (per selected keypoint) or multiview
 * (per matched keypoint and view). Its fitted empirical epsilon feeds `rectify: fitted`.
 */
export const pcaReprojection: StepDef<t.TypeOf<typeof codec>> = {
  phase: 'compute',
  name: 'pca_reprojection',
  doc: 'per-keypoint distance of the predictions to a PCA subspace fitted from labels at build time',
  codec,
  build: (p, ctx) => {
    const keys = resolveKeys(p.of, ctx, 'pca_reprojection', 1, ['flat']);
    if (either.isLeft(keys)) return keys;
    const labels = ctx.labels;
    if (!labels) return either.left([issue(ctx.path, `pca_reprojection is fitted from labeled keypoints: build the loss with { labels } (frames × 2K)`)]);
    if (p.view === 'multiview' && p.mirrored_column_matches === null)
      return either.left([issue(`${ctx.path}.mirrored_column_matches`, 'pca_multiview needs mirrored_column_matches (one list of keypoint indices per view) in the data config')]);
    const k = labels.cols / 2;
    const format: PcaFormat =
      p.view === 'multiview'
        ? { kind: 'multiview', matches: p.mirrored_column_matches as number[][] }
        : { kind: 'singleview', columns: p.columns, centering: p.centering_method };
    const problem = formatProblem(format, k);
    if (problem) return either.left([issue(ctx.path, problem)]);
    const fit = fitKeypointPca(labels, { format, componentsToKeep: p.components_to_keep, percentile: p.empirical_epsilon_percentile });
    if (either.isLeft(fit)) return either.left([issue(ctx.path, fit.left)]);
    const pca = fit.right;
    const eps = requireFiniteEpsilon(pca);
    const mean = Float32Array.from(pca.mean);
    const kept = Float32Array.from(pca.kept.data);
    const fitted: PcaFitted = { epsilon: pca.epsilonEmpirical, epsilonProblem: either.isLeft(eps) ? eps.left : undefined, pca };
    const built: BuiltCompute = {
      phase: 'compute',
      name: 'pca_reprojection',
      of: keys.right,
      roles: ['prediction'],
      fusion: { op: 'pca_reprojection', params: {} },
      layout: opaqueLayout(`pca(${format.kind})`),
      fitted,
      check: ([s]) => (s[1] === labels.cols ? null : `${keys.right[0]} (${s.join(',')}) has ${s[1] / 2} keypoints, but the PCA was fitted on ${k}`),
      apply: ([x]) =>
        reprojectionErrorTensor(formatTensor(x, format, k), tf.tensor1d(mean), tf.tensor2d(kept, [pca.kept.rows, pca.kept.cols])),
    };
    return either.right(built);
  },
};
