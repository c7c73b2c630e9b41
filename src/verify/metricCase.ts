import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { formatIssues } from '../config/issues.js';
import { fitPcaMetric, type PcaView, pcaReprojectionErrorMetric, pixelError, temporalNorm } from '../metrics/index.js';
import { compareArray, compareShape } from './compare.js';
import { effectiveExpected, type GoldenCase, type JsonTensor } from './format.js';
import { fail, inputTensors, labelsOf, type Outcome, pass, tolOf } from './lossCase.js';

type MetricFn = (c: GoldenCase, ins: Record<string, tf.Tensor>) => tf.Tensor;

/** A PCA metric case: the PCA (constructor kwargs in `params`) fitted on `inputs.fit_keypoints`, applied to `keypoints_pred`. */
const pcaCase =
  (view: PcaView): MetricFn =>
  (c, ins) => {
    const labels = labelsOf(c);
    if (!labels) throw new Error(`a PCA metric case needs inputs.fit_keypoints (frames, 2K) to fit the PCA on`);
    const m = fitPcaMetric(view, labels, c.params, `params`);
    if (either.isLeft(m)) throw new Error(formatIssues(m.left));
    return pcaReprojectionErrorMetric(ins.keypoints_pred, m.right);
  };

/** Metric functions by their case name `metric:<fn>`. */
const METRICS: Record<string, MetricFn> = {
  'metric:pixel_error': (_c, ins) => pixelError(ins.keypoints_true, ins.keypoints_pred),
  'metric:temporal_norm': (_c, ins) => temporalNorm(ins.keypoints_pred),
  'metric:pca_singleview_reprojection_error': pcaCase('singleview'),
  'metric:pca_multiview_reprojection_error': pcaCase('multiview'),
};

export const registerMetricCase = (name: string, fn: MetricFn): void => void (METRICS[name] = fn);

export const metricKinds = (): string[] => Object.keys(METRICS);

/**
 * A `metric:<fn>` case: `expected.output` (N, K) compared with the default tolerances (null =
 * NaN), or `expected.error`, which requires the metric to throw.
 */
export const runMetricCase = (c: GoldenCase): Outcome => {
  const fn = METRICS[c.loss];
  if (!fn) return fail(`not built yet: '${c.loss}' cases (metrics)`);
  const exp = effectiveExpected(c);
  const ins = inputTensors(c);
  let out: tf.Tensor | undefined;
  try {
    out = fn(c, ins);
  } catch (e) {
    tf.dispose(Object.values(ins));
    return exp.error ? pass : fail(`threw ${(e as Error).message}`);
  }
  try {
    if (exp.error) return fail(`expected an error (${(exp.error as { type?: string }).type ?? 'error'}), got an output of shape (${out.shape.join(',')})`);
    const want = exp.output as JsonTensor | undefined;
    if (!want) return fail(`the case has neither expected.output nor expected.error`);
    const m = compareShape('output', out.shape, want.shape) ?? compareArray('output', out.dataSync(), want.data, tolOf(c).value);
    return m ? fail(m) : pass;
  } finally {
    out.dispose();
    tf.dispose(Object.values(ins));
  }
};
