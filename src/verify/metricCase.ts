import * as tf from '@tensorflow/tfjs';
import { pixelError, temporalNorm } from '../metrics/index.js';
import { effectiveExpected, toTensor, type GoldenCase, type JsonTensor } from './format.js';
import { compareArray, compareShape, DEFAULT_TOL } from './compare.js';
import { fail, pass, type Outcome } from './lossCase.js';

/** Metric functions by their case name `metric:<fn>`. */
const METRICS: Record<string, (c: GoldenCase, ins: Record<string, tf.Tensor>) => tf.Tensor> = {
  'metric:pixel_error': (_c, ins) => pixelError(ins.keypoints_true, ins.keypoints_pred),
  'metric:temporal_norm': (_c, ins) => temporalNorm(ins.keypoints_pred),
};

export const registerMetricCase = (name: string, fn: (c: GoldenCase, ins: Record<string, tf.Tensor>) => tf.Tensor): void => void (METRICS[name] = fn);

export const metricKinds = (): string[] => Object.keys(METRICS);

export const runMetricCase = (c: GoldenCase): Outcome => {
  const fn = METRICS[c.loss];
  if (!fn) return fail(`not built yet: '${c.loss}' cases (metrics)`);
  const ins = Object.fromEntries(Object.entries(c.inputs).filter(([k]) => k !== 'fit_keypoints').map(([k, v]) => [k, toTensor(v)]));
  try {
    const out = fn(c, ins);
    const exp = effectiveExpected(c).output as JsonTensor;
    const m = compareShape('output', out.shape, exp.shape) ?? compareArray('output', out.dataSync(), exp.data, DEFAULT_TOL);
    out.dispose();
    return m ? fail(m) : pass;
  } catch (e) {
    return fail(`threw ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(ins));
  }
};
