import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import {
  fitPcaMetric,
  fitPcaMetricOrThrow,
  pcaMultiviewReprojectionError,
  pcaReprojectionErrorMetric,
  pcaSingleviewReprojectionError,
} from '../../src/metrics/index.js';
import type { GoldenCase, JsonTensor } from '../../src/verify/format.js';
import { readCase, runCase } from '../../src/verify/index.js';
import { metricKinds } from '../../src/verify/metricCase.js';
import { GOLDEN, hasShared, warnIfNoShared } from '../shared.js';

warnIfNoShared('PCA metric cases derived from the golden PCA vectors');

const goldenFiles = hasShared
  ? fs
      .readdirSync(GOLDEN)
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];
const cases = goldenFiles.map((f) => readCase(path.join(GOLDEN, f)));

/**
 * A `metric:pca_*_reprojection_error` case built from a PCA loss vector: same constructor
 * params and fit data; predictions as (N, K, 2); expected output = the vector's
 * `pred_reprojection_error` (the reference's per-keypoint error before epsilon, in the
 * formatted — with centering, centred — frame, which is what D6 asks of the metric) scattered
 * back to (N, K), NaN for keypoints the PCA does not use.
 */
const metricCaseOf = (c: GoldenCase): GoldenCase => {
  const pred = c.inputs.keypoints_pred;
  const [n, twoK] = pred.shape;
  const k = twoK / 2;
  const pca = c.expected.pca as { pred_reprojection_error: JsonTensor };
  const err = pca.pred_reprojection_error;
  const out: (number | null)[] = new Array(n * k).fill(null);
  if (c.loss === 'pca_singleview') {
    const cols = (c.params.columns_for_singleview_pca as number[] | undefined) ?? Array.from({ length: k }, (_, i) => i);
    for (let r = 0; r < n; r++) cols.forEach((kp, j) => (out[r * k + kp] = err.data[r * cols.length + j]));
  } else {
    const m = c.params.mirrored_column_matches as number[][];
    const km = m[0].length;
    for (let r = 0; r < n; r++) m.forEach((view, v) => view.forEach((kp, j) => (out[r * k + kp] = err.data[(r * km + j) * m.length + v])));
  }
  return {
    ...c,
    case: `metric_from_${c.case}`,
    loss: `metric:${c.loss}_reprojection_error`,
    inputs: { fit_keypoints: c.inputs.fit_keypoints, keypoints_pred: { shape: [n, k, 2], data: pred.data } },
    expected: { output: { shape: [n, k], data: out } },
    poseloss: undefined,
  };
};

const pcaCases = cases.filter(
  (c) =>
    (c.loss === 'pca_singleview' || c.loss === 'pca_multiview') &&
    (c.expected.pca as { pred_reprojection_error?: unknown } | undefined)?.pred_reprojection_error,
);

describe('PCA metrics as golden cases (poseloss verify)', () => {
  it('both PCA metric kinds are registered', () => {
    expect(metricKinds()).toEqual(
      expect.arrayContaining([
        'metric:pixel_error',
        'metric:temporal_norm',
        'metric:pca_singleview_reprojection_error',
        'metric:pca_multiview_reprojection_error',
      ]),
    );
  });

  it.skipIf(!hasShared)('every metric:* vector in ../shared/golden passes', () => {
    const metricCases = cases.filter((c) => c.loss.startsWith('metric:'));
    expect(metricCases.length).toBeGreaterThanOrEqual(2);
    for (const c of metricCases) expect(runCase(c), c.case).toEqual({ ok: true });
  });

  it.skipIf(!hasShared)('cases derived from the PCA loss vectors pass (singleview, columns, mean and median centering (D6), multiview)', () => {
    expect(pcaCases.length).toBeGreaterThanOrEqual(5);
    expect(pcaCases.some((c) => c.params.centering_method)).toBe(true);
    expect(pcaCases.some((c) => c.loss === 'pca_multiview')).toBe(true);
    for (const c of pcaCases) expect(runCase(metricCaseOf(c)), c.case).toEqual({ ok: true });
  });

  it.skipIf(!hasShared)('a mismatching expectation fails, an expected error passes only when the metric throws', () => {
    const c = metricCaseOf(pcaCases[0]);
    const wrong = {
      ...c,
      expected: { output: { ...(c.expected.output as JsonTensor), data: (c.expected.output as JsonTensor).data.map((v) => (v === null ? null : v + 1)) } },
    };
    expect(runCase(wrong).ok).toBe(false);
    const tooFew = cases.find((x) => x.case === 'pca_singleview_too_few_samples_error')!;
    const errCase: GoldenCase = {
      ...tooFew,
      loss: 'metric:pca_singleview_reprojection_error',
      inputs: { ...tooFew.inputs, keypoints_pred: { shape: [4, 5, 2], data: tooFew.inputs.keypoints_pred.data } },
    };
    expect(runCase(errCase)).toEqual({ ok: true });
    expect(runCase({ ...c, expected: { error: { type: 'ValueError', message: '' } } }).ok).toBe(false);
  });
});

describe('PCA metric API', () => {
  // 40 frames of 4 keypoints on a 2-D family of poses plus noise; keypoint 3 is left out of the PCA
  const labels = (() => {
    const rows = 40;
    const data = new Float64Array(rows * 8);
    for (let r = 0; r < rows; r++) {
      const a = Math.sin(r * 0.7) * 10;
      const b = Math.cos(r * 1.3) * 5;
      const noise = (i: number) => Math.sin(r * 12.9898 + i * 78.233) * 0.3;
      [100 + a, 50 + b, 120 + a, 60 - b, 140 + a + b, 70, 300 + r, 20].forEach((v, i) => (data[r * 8 + i] = v + noise(i)));
    }
    return { data, rows, cols: 8 };
  })();
  const pred = tf.tensor3d([100, 50, 120, 60, 140, 70, 1, 2, 130, 50, 120, 60, 140, 70, 1, 2, NaN, 50, 120, 60, 140, 70, 1, 2], [3, 4, 2]);

  it('singleview: (N, K), NaN for unused keypoints and for a row with a NaN; no tensor left behind', () => {
    const m = fitPcaMetricOrThrow('singleview', labels, { components_to_keep: 2, columns_for_singleview_pca: [0, 1, 2] });
    expect(m.used).toEqual([0, 1, 2]);
    const before = tf.memory().numTensors;
    const out = pcaSingleviewReprojectionError(pred, m);
    const v = Array.from(out.dataSync());
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(v.length).toBe(12);
    expect(Number.isNaN(v[3]) && Number.isNaN(v[7]) && Number.isNaN(v[11])).toBe(true);
    expect(v.slice(8, 11).every(Number.isNaN)).toBe(true); // frame 2 has a NaN x
    expect(v[4]).toBeGreaterThan(v[0]); // frame 1 moved keypoint 0 off the pose family
  });

  it('multiview: errors land on the matched keypoints of each view; (N, 2K) input accepted', () => {
    const m = fitPcaMetricOrThrow('multiview', labels, {
      mirrored_column_matches: [
        [0, 1],
        [2, 3],
      ],
    });
    const flat = pred.reshape([3, 8]);
    const out = pcaMultiviewReprojectionError(flat, m);
    expect(out.shape).toEqual([3, 4]);
    expect(m.used).toEqual([0, 1, 2, 3]);
    tf.dispose([flat, out]);
  });

  it('errors: wrong view, wrong keypoint count, bad params carry their path', () => {
    const sv = fitPcaMetricOrThrow('singleview', labels, {});
    expect(() => pcaMultiviewReprojectionError(pred, sv)).toThrow(/needs a multiview PCA/);
    const p5 = tf.zeros([2, 5, 2]);
    expect(() => pcaReprojectionErrorMetric(p5, sv)).toThrow(/fitted on 4 keypoints/);
    p5.dispose();
    const bad = fitPcaMetric('singleview', labels, { columns_for_singleview_pca: [0, 7] }, 'losses.pca_singleview');
    expect(either.isLeft(bad) && bad.left[0].path).toBe('losses.pca_singleview');
    expect(either.isLeft(bad) && bad.left[0].message).toMatch(/outside the 4 keypoints/);
    const badCtk = fitPcaMetric('singleview', labels, { components_to_keep: -2 }, 'losses.pca_singleview');
    expect(either.isLeft(badCtk) && badCtk.left[0].path).toMatch(/^losses\.pca_singleview/);
  });
});
