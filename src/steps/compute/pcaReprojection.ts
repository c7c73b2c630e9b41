import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import * as t from 'io-ts';
import { inRange, nullable, oneOf } from '../../config/codecs.js';
import { issue } from '../../config/issues.js';
import { medianLastAxis } from '../../ops/median.js';
import { toPairs } from '../../ops/pairs.js';
import { safeNorm } from '../../ops/safeNorm.js';
import { ComponentsToKeepCodec, IndexList, MatchesCodec } from '../../pca/codecs.js';
import { formatProblem } from '../../pca/format.js';
import { errorFloorScale, fitKeypointPca, type PcaFit, type PcaFormat, requireFiniteEpsilon } from '../../pca/index.js';
import { opaqueLayout } from '../../pipeline/layout.js';
import type { BuiltCompute, ComputeReference, Kinks, StepDef, StepSpec } from '../../pipeline/step.js';
import { resolveKeys, stepCodec } from '../common.js';
import { arrayArb, num, ofKeys, tabulate } from '../reference.js';

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
  {
    of: 'keypoints_pred',
    view: 'singleview',
    components_to_keep: { kind: 'fraction', f: 0.95 },
    empirical_epsilon_percentile: 99,
    columns: null,
    centering_method: null,
    mirrored_column_matches: null,
  },
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

/** The largest |coordinate| of each frame of x (B, 2K), NaN ignored, for each of its `perFrame` formatted rows (rows · B, 1). */
const frameMax = (x: tf.Tensor, perFrame: number): tf.Tensor => {
  const m = tf.where(x.isNaN(), tf.zerosLike(x), x.abs()).max(-1, true);
  return perFrame === 1 ? m : m.tile([1, perFrame]).reshape([-1, 1]);
};

/**
 * Per-keypoint distance (rows, D/2) between formatted rows and their reprojection onto the kept
 * components, 0 (with no gradient) at or below float32's resolution: errorFloorScale(D) · s
 * (src/pca/reproject.ts), s the largest magnitude among the frame's coordinates (`x`, the step's
 * input, B × 2K) and the mean.
 */
export const reprojectionErrorTensor = (rows: tf.Tensor, mean: tf.Tensor, kept: tf.Tensor, x: tf.Tensor): tf.Tensor => {
  const centred = rows.sub(mean);
  const r = kept.shape[0] === 0 ? mean.expandDims(0) : centred.matMul(kept, false, true).matMul(kept).add(mean);
  const e = safeNorm(toPairs(rows.sub(r)), -1);
  const floored = tf.customGrad(((err: tf.Tensor, save: tf.GradSaveFunc) => {
    const s = tf.maximum(frameMax(x, rows.shape[0] / x.shape[0]), mean.abs().max());
    const keep = err.lessEqual(s.mul(errorFloorScale(rows.shape[1] as number))).logicalNot(); // NaN stays
    save([keep]);
    return { value: tf.where(keep, err, tf.zerosLike(err)), gradFunc: (dy: tf.Tensor, [k]: tf.Tensor[]) => tf.where(k, dy, tf.zerosLike(dy)) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (v: tf.Tensor) => tf.Tensor;
  return floored(e);
};

/** The fitted state a PCA compute step carries (shown by `explain`, compared by `verify`). */
export interface PcaFitted {
  readonly epsilon: number;
  readonly epsilonProblem?: string;
  readonly pca: PcaFit;
}

/** The fit's rows of plain predictions (B, 2K), float64: singleview (B, 2·K_sel), centred per frame; multiview (B·K_m, 2V). */
const formatRows = (x: ArrayLike<number>, b: number, k: number, fmt: PcaFormat, kinks: Kinks): number[][] => {
  const pt = (f: number, j: number) => [x[f * 2 * k + 2 * j], x[f * 2 * k + 2 * j + 1]];
  const frames = Array.from({ length: b }, (_, f) => f);
  if (fmt.kind === 'multiview') return frames.flatMap((f) => fmt.matches[0].map((_, j) => fmt.matches.flatMap((m) => pt(f, m[j]))));
  const sel = fmt.columns ?? Array.from({ length: k }, (_, j) => j);
  return frames.map((f) => {
    const pts = sel.map((j) => pt(f, j));
    if (fmt.centering === null) return pts.flat();
    if (pts.flat().some(Number.isNaN)) return pts.flat().map(() => NaN);
    const centre = [0, 1].map((c) => {
      const v = pts.map((q) => q[c]).sort((a, z) => a - z);
      // the median changes which keypoint it follows where two values cross
      if (fmt.centering === 'median') v.forEach((a, i) => v.slice(i + 1).forEach((z) => kinks.push([z - a, 0])));
      const n = v.length;
      return fmt.centering === 'mean' ? v.reduce((a, z) => a + z, 0) / n : n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    });
    return pts.flatMap((q) => [q[0] - centre[0], q[1] - centre[1]]);
  });
};

/** Float64 reprojection error of plain predictions on the step's fitted PCA (the fit itself is checked against the reference in tests/pca). */
const reference: ComputeReference<unknown> = {
  phase: 'compute',
  // keypoints enough for the indices a fixed spec names; more labeled frames than dimensions, so the fit is defined
  cases: (fc, opts = {}) => {
    const spec = opts.spec
      ? fc.constant(opts.spec)
      : fc
          .record({ components_to_keep: fc.constantFrom(1, 2, 0.9, null), centering_method: fc.constantFrom(null, 'mean', 'median') })
          .map((ps): StepSpec => ({ compute: 'pca_reprojection', of: 'keypoints_pred', ...ps }));
    return fc.tuple(spec, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 4 })).chain(([s, extra, b, k0]) => {
      const named = [s.columns, s.mirrored_column_matches].flat(2).filter((i): i is number => typeof i === 'number');
      const k = Math.max(opts.dims?.K ?? k0, 2, ...named.map((i) => i + 1));
      const [bs, n] = [opts.dims?.B ?? b, 2 * k + extra];
      return (
        fc
          .record({ labels: arrayArb(fc, [n, 2 * k], num(fc, -10, 10)), pred: arrayArb(fc, [bs, 2 * k], num(fc, -10, 10)) })
          // an irregular base under the drawn values: every column varies and the labels have full rank, so the
          // explained-variance ratios exist and the fitted epsilon is a distance, not float32 noise (the former
          // base, sin(1.7·row + 0.3·col²), spans 2 dimensions: with fast-check's zeros drawn, labels of rank 2–3,
          // an epsilon of ~1e-6 and predictions on the subspace, where float32 decides relu(e − ε) and e's direction)
          .map(({ labels, pred }) => ({
            spec: s,
            inputs: { [ofKeys(s)[0]]: pred },
            labels: {
              data: Float64Array.from(
                labels.data,
                (v, i) => v + 5 * Math.sin(12.9898 * (1 + Math.floor(i / (2 * k))) * (1 + (i % (2 * k))) + 0.7 * (i % (2 * k))),
              ),
              rows: n,
              cols: 2 * k,
            },
          }))
      );
    });
  },
  values: (_p, [x], fitted) => {
    const pca = fitted!.pca!;
    const kinks: Kinks = [];
    const rows = formatRows(x.data, x.shape[0], x.shape[1] / 2, pca.format, kinks);
    const d = pca.mean.length;
    const kept = Array.from({ length: pca.kept.rows }, (_, r) => pca.kept.data.subarray(r * d, (r + 1) * d));
    // float32's resolution of each row's errors (errorFloorScale in pca/reproject.ts), NaN ignored
    const big = (v: ArrayLike<number>) => Array.from(v).reduce((m, u) => (Number.isNaN(u) ? m : Math.max(m, Math.abs(u))), 0);
    const width = x.shape[1];
    const perFrame = rows.length / x.shape[0];
    const errors = rows.flatMap((row, ri) => {
      const f = Math.floor(ri / perFrame);
      const c = row.map((v, i) => v - pca.mean[i]);
      const floor = errorFloorScale(d) * Math.max(big(Array.from(x.data).slice(f * width, (f + 1) * width)), big(pca.mean));
      const proj = [...pca.mean];
      for (const comp of kept) {
        const dot = c.reduce((a, v, i) => a + v * comp[i], 0);
        comp.forEach((w, i) => (proj[i] += dot * w));
      }
      return Array.from({ length: d / 2 }, (_, j) => {
        const e = Math.hypot(row[2 * j] - proj[2 * j], row[2 * j + 1] - proj[2 * j + 1]);
        kinks.push([e, floor]);
        return e <= floor ? 0 : e;
      });
    });
    return { out: tabulate([rows.length, d / 2], (i) => errors[i]), kinks };
  },
};

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
      return either.left([
        issue(`${ctx.path}.mirrored_column_matches`, 'pca_multiview needs mirrored_column_matches (one list of keypoint indices per view) in the data config'),
      ]);
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
      apply: ([x]) => reprojectionErrorTensor(formatTensor(x, format, k), tf.tensor1d(mean), tf.tensor2d(kept, [pca.kept.rows, pca.kept.cols]), x),
    };
    return either.right(built);
  },
  reference,
};
