import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoConfig, demoFactories, readDemoConfig } from '../../src/demo/config.js';
import { DEFAULT_DATA, type DemoData, labelsOf, makeDemoData } from '../../src/demo/dataset.js';
import { createModel, DEFAULT_MODEL, type HeatmapModel } from '../../src/demo/model.js';
import { heatmapRenderer } from '../../src/demo/targets.js';
import { framesTensor, train } from '../../src/demo/train.js';
import type { Factories } from '../../src/lp/factory.js';

/**
 * Gradients flow from every loss term of the demo into the model's weights: for each of
 * heatmap_mse, temporal and pca_singleview, the gradient of that term alone (as the factory
 * weights it) is finite everywhere and non-zero on some weight.
 */

let data: DemoData;
let cfg: DemoConfig;
let semi: Factories;
let model: HeatmapModel;

beforeAll(async () => {
  data = makeDemoData({ ...DEFAULT_DATA, seed: 3, trainFrames: 240, testFrames: 10 });
  cfg = readDemoConfig();
  semi = demoFactories(cfg, labelsOf(data.train, data.labeled)).semi;
  model = createModel({ ...DEFAULT_MODEL, keypoints: data.keypoints, seed: 3 });
  // a few supervised steps so the maps are peaked enough to pass the temporal loss's confidence threshold
  const sup = demoFactories(cfg, labelsOf(data.train, data.labeled)).supervised;
  await train(data, model, {
    name: 'warm-up',
    factories: sup,
    steps: 40,
    batchSize: 8,
    clipLength: 16,
    learningRate: cfg.learningRate,
    anneal: () => 1,
    seed: 3,
  });
}, 120_000);

afterAll(() => model.dispose());

/** Gradient norms per variable of `term`'s weighted value on the demo's inputs. */
const gradNorms = (term: string): number[] =>
  tf.tidy(() => {
    const video = framesTensor(data.train.pixels, data.train.frames, data.size);
    const K = data.keypoints;
    // labeled frames for the heatmap loss; a clip alternating between two distant moments
    // for the unsupervised losses, so the keypoints jump further than temporal's epsilon
    const lab = tf.gather(video, data.labeled.slice(0, 8));
    const clip = tf.gather(video, [0, 120, 1, 121, 2, 122, 3, 123]);
    const targ = heatmapRenderer(
      data.size,
      data.size / 4,
    )(
      tf.tensor3d(Float32Array.from(data.labeled.slice(0, 8).flatMap((f) => Array.from(data.train.keypoints.subarray(f * 2 * K, (f + 1) * 2 * K)))), [8, K, 2]),
    );
    const { grads } = tf.variableGrads(() => {
      const p = model.predict(lab);
      const q = model.predict(clip);
      const inputs = { heatmaps_targ: targ, heatmaps_pred: p.heatmaps, keypoints_pred: q.keypoints, confidences: q.confidences };
      const f = term === 'heatmap_mse' ? semi.supervised : semi.unsupervised;
      const m = f.members.find((x) => x.name === term)!;
      return m.loss(inputs, 'train').weighted;
    }, model.variables as tf.Variable[]);
    return Object.values(grads).map((g) => g.norm().dataSync()[0]);
  });

describe('demo gradients', () => {
  it('the clip really jumps and its confidences pass the threshold (the temporal loss is active)', () => {
    const [loss, conf] = tf.tidy(() => {
      const video = framesTensor(data.train.pixels, data.train.frames, data.size);
      const q = model.predict(tf.gather(video, [0, 120, 1, 121, 2, 122, 3, 123]));
      const m = semi.unsupervised.members.find((x) => x.name === 'temporal')!;
      return [m.loss({ keypoints_pred: q.keypoints, confidences: q.confidences }, 'train').loss.dataSync()[0], q.confidences.mean().dataSync()[0]];
    });
    expect(conf).toBeGreaterThan(0.05);
    expect(loss).toBeGreaterThan(0);
  });

  for (const term of ['heatmap_mse', 'temporal', 'pca_singleview'])
    it(`${term}: finite, non-zero gradient on some model weight`, () => {
      const norms = gradNorms(term);
      expect(norms).toHaveLength(model.variables.length);
      expect(norms.every(Number.isFinite), term).toBe(true);
      expect(Math.max(...norms), term).toBeGreaterThan(0);
      // it reaches the first convolution, not only the head
      expect(norms[0], `${term}: first layer`).toBeGreaterThan(0);
    });
});
