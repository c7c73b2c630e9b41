import * as tf from '@tensorflow/tfjs';
import { rng } from '../example/random.js';
import type { Factories } from '../lp/factory.js';
import type { DemoData } from './dataset.js';
import type { HeatmapModel } from './model.js';
import { heatmapRenderer } from './targets.js';

/**
 * One training run, as the reference's semi-supervised training step: each step, the
 * supervised factory on a batch of labeled frames (target heatmaps vs the model's), and —
 * when the run has unsupervised losses — the unsupervised factory on a clip of consecutive
 * unlabeled frames (the model's keypoints and confidences), both called with the annealed
 * unsupervised weight; Adam on the sum. Every step runs in tf.tidy.
 */

export interface RunSpec {
  readonly name: string;
  readonly factories: Factories;
  readonly steps: number;
  readonly batchSize: number;
  readonly clipLength: number;
  readonly learningRate: number;
  /** Anneal weight at a step. */
  readonly anneal: (step: number) => number;
  /** Seeds the batch and clip sampling (the same seed gives both runs the same labeled batches). */
  readonly seed: number;
}

export interface StepRecord {
  readonly step: number;
  readonly anneal: number;
  /** The optimised total: Σ anneal_i · weight_i · loss_i. */
  readonly total: number;
  /** Each loss's unweighted value (`train_{name}_loss`), by name. */
  readonly terms: Readonly<Record<string, number>>;
  /** tf.memory().numTensors after the step. */
  readonly tensors: number;
}

export interface RunResult {
  readonly name: string;
  readonly history: readonly StepRecord[];
  readonly seconds: number;
}

/** The video's frames as one (T, S, S, 1) tensor, for gathering batches. */
export const framesTensor = (pixels: Float32Array, frames: number, size: number): tf.Tensor4D => tf.tensor4d(pixels, [frames, size, size, 1]);

export const train = async (data: DemoData, model: HeatmapModel, spec: RunSpec, onStep?: (r: StepRecord) => void): Promise<RunResult> => {
  const t0 = performance.now();
  const { supervised, unsupervised } = spec.factories;
  const semi = unsupervised.names.length > 0;
  const K = data.keypoints;
  const size = data.size;
  const heat = size / model.options.stride;
  const video = framesTensor(data.train.pixels, data.train.frames, size);
  const labeledIdx = tf.tensor1d([...data.labeled], 'int32');
  const labeledFrames = tf.gather(video, labeledIdx);
  const render = heatmapRenderer(size, heat);
  const targets = tf.tidy(() => {
    const kp = new Float32Array(data.labeled.length * 2 * K);
    data.labeled.forEach((f, i) => kp.set(data.train.keypoints.subarray(f * 2 * K, (f + 1) * 2 * K), i * 2 * K));
    return render(tf.tensor3d(kp, [data.labeled.length, K, 2]));
  });
  const optimizer = tf.train.adam(spec.learningRate);
  const vars = model.variables as tf.Variable[];
  const batches = rng(spec.seed * 31 + 1);
  const clips = rng(spec.seed * 31 + 2);
  const names = [...supervised.names, ...unsupervised.names];
  const history: StepRecord[] = [];
  const b = Math.min(spec.batchSize, data.labeled.length);
  try {
    for (let step = 0; step < spec.steps; step++) {
      const anneal = spec.anneal(step);
      // b distinct labeled frames (partial shuffle)
      const order = data.labeled.map((_, i) => i);
      for (let i = 0; i < b; i++) {
        const j = i + Math.floor(batches.next() * (order.length - i));
        [order[i], order[j]] = [order[j], order[i]];
      }
      const pick = order.slice(0, b);
      const start = semi ? Math.floor(clips.next() * (data.train.frames - spec.clipLength + 1)) : 0;
      const out = tf.tidy(() => {
        const idx = tf.tensor1d(pick, 'int32');
        const x = semi
          ? tf.concat([tf.gather(labeledFrames, idx), video.slice([start, 0, 0, 0], [spec.clipLength, size, size, 1])])
          : tf.gather(labeledFrames, idx);
        const targ = tf.gather(targets, idx);
        let logVec: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const p = model.predict(x as tf.Tensor4D);
          const sup = supervised(
            { heatmaps_targ: targ, heatmaps_pred: semi ? p.heatmaps.slice([0, 0, 0, 0], [b, K, heat, heat]) : p.heatmaps },
            'train',
            anneal,
          );
          let total = sup.total;
          const logs = [...sup.logs];
          if (semi) {
            const u = unsupervised(
              { keypoints_pred: p.keypoints.slice([b, 0], [spec.clipLength, 2 * K]), confidences: p.confidences.slice([b, 0], [spec.clipLength, K]) },
              'train',
              anneal,
            );
            total = total.add(u.total);
            logs.push(...u.logs);
          }
          logVec = tf.keep(tf.stack(names.map((n) => logs.find((l) => l.name === `train_${n}_loss`)!.value)));
          return total;
        }, vars);
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
        const all = tf.concat([value.reshape([1]), logVec!]);
        logVec!.dispose();
        return all;
      });
      const v = await out.data();
      out.dispose();
      const rec: StepRecord = { step, anneal, total: v[0], terms: Object.fromEntries(names.map((n, i) => [n, v[i + 1]])), tensors: tf.memory().numTensors };
      history.push(rec);
      onStep?.(rec);
      // a macrotask turn per step, so SIGINT/SIGTERM handlers run during training
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    optimizer.dispose();
    tf.dispose([video, labeledIdx, labeledFrames, targets]);
  }
  return { name: spec.name, history, seconds: (performance.now() - t0) / 1000 };
};
