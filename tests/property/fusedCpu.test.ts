import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLossOrThrow } from '../../src/losses/registry.js';
import type { Loss } from '../../src/pipeline/loss.js';

/**
 * On the cpu backend the kernels run in poseloss's own WebAssembly memory: inputs are copied in,
 * outputs out, and the memory grows for large inputs. Same checks as on wasm, on that path.
 */
beforeAll(async () => {
  await tf.setBackend('cpu');
});

let seed = 7;
const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;

const valueAndGrads = (loss: Loss, inputs: Record<string, tf.Tensor>) => {
  const keys = loss.predictions.filter((k) => inputs[k]);
  const f = tf.valueAndGrads((...xs: tf.Tensor[]) => loss({ ...inputs, ...Object.fromEntries(keys.map((k, i) => [k, xs[i]])) }, 'train').loss);
  const { value, grads } = f(keys.map((k) => inputs[k]));
  const out = { value: value.dataSync()[0], grads: grads.map((g) => Array.from(g.dataSync())) };
  tf.dispose([value, ...grads]);
  return out;
};

const agreeOnCpu = (
  name: string,
  params: Record<string, unknown>,
  inputs: Record<string, tf.Tensor>,
  opts: { labels?: { data: Float64Array; rows: number; cols: number } } = {},
) => {
  const fused = createLossOrThrow(name, params, opts);
  const ref = createLossOrThrow(name, params, { ...opts, fused: false });
  expect(fused.kernel, name).not.toBeNull();
  const before = tf.memory().numTensors;
  const a = valueAndGrads(fused, inputs);
  const b = valueAndGrads(ref, inputs);
  expect(tf.memory().numTensors).toBe(before);
  expect(Math.abs(a.value - b.value), `${name}: ${a.value} vs ${b.value}`).toBeLessThanOrEqual(1e-6 + 2e-4 * Math.abs(b.value));
  a.grads.forEach((g, i) => {
    const big = Math.max(1e-6, ...b.grads[i].map(Math.abs));
    g.forEach((v, j) =>
      expect(Math.abs(v - b.grads[i][j]), `${name} grad[${i}][${j}]: ${v} vs ${b.grads[i][j]}`).toBeLessThanOrEqual(
        1e-5 * big + 2e-4 * Math.abs(b.grads[i][j]),
      ),
    );
  });
  tf.dispose(Object.values(inputs));
};

const maps = (b: number, k: number, h: number, w: number, emptyEvery = 0) =>
  tf.tensor4d(
    Array.from({ length: b * k * h * w }, (_, i) => (emptyEvery && Math.floor(i / (h * w)) % emptyEvery === 0 ? 0 : rand())),
    [b, k, h, w],
  );

describe('fused kernels on the cpu backend (own memory, copies, growth) equal the tfjs-ops path', () => {
  it('runs on cpu', () => expect(tf.getBackend()).toBe('cpu'));

  it('heatmap_kl and heatmap_js on maps larger than the initial memory', () => {
    for (const name of ['heatmap_kl', 'heatmap_js'])
      agreeOnCpu(name, { log_weight: 0 }, { heatmaps_targ: maps(4, 17, 16, 16, 5), heatmaps_pred: maps(4, 17, 16, 16) });
  });

  it('temporal and temporal_heatmap_kl with confidence masks', () => {
    const conf = () => tf.tensor2d(Array.from({ length: 6 * 5 }, rand), [6, 5]);
    agreeOnCpu(
      'temporal',
      { log_weight: 0, epsilon: 0.1, prob_threshold: 0.2 },
      {
        keypoints_pred: tf.tensor2d(
          Array.from({ length: 60 }, () => rand() * 10),
          [6, 10],
        ),
        confidences: conf(),
      },
    );
    agreeOnCpu('temporal_heatmap_kl', { log_weight: 0, prob_threshold: 0.2 }, { heatmaps_pred: maps(6, 5, 8, 8), confidences: conf() });
  });

  it('regression with NaN targets and the reprojection loss', () => {
    const t = Array.from({ length: 8 * 34 }, (_, i) => (i % 7 === 0 ? NaN : rand() * 50));
    agreeOnCpu(
      'regression',
      { log_weight: 0 },
      {
        keypoints_targ: tf.tensor2d(t, [8, 34]),
        keypoints_pred: tf.tensor2d(
          t.map((v) => (Number.isNaN(v) ? 1 : v + rand())),
          [8, 34],
        ),
      },
    );
    const geom = { log_weight: 0, original_image_height: 64, original_image_width: 64, downsampled_image_height: 16, downsampled_image_width: 16 };
    agreeOnCpu('supervised_reprojection_heatmap_mse', geom, {
      heatmaps_targ: maps(2, 17, 16, 16, 4),
      keypoints_pred_2d_reprojected: tf.tensor3d(
        Array.from({ length: 2 * 17 * 2 }, () => rand() * 64),
        [2, 17, 2],
      ),
    });
  });

  it('pca_singleview fitted on labels', () => {
    const basis = Array.from({ length: 3 }, () => Array.from({ length: 12 }, () => rand() * 40 - 20));
    const sample = () => {
      const z = [rand(), rand(), rand()];
      return basis[0].map((_, j) => 100 + z.reduce((s, zi, i) => s + zi * basis[i][j], 0) + rand());
    };
    const labels = { data: Float64Array.from(Array.from({ length: 40 }, sample).flat()), rows: 40, cols: 12 };
    agreeOnCpu(
      'pca_singleview',
      { log_weight: 0, components_to_keep: 0.9, epsilon: 0 },
      {
        keypoints_pred: tf.tensor2d(
          Array.from({ length: 5 }, sample)
            .flat()
            .map((v) => v + rand() * 6),
          [5, 12],
        ),
      },
      { labels },
    );
  });
});
