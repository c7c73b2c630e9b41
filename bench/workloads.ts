/**
 * The benchmark workloads: `<loss>/<shape>/<fwd|fwd+bwd>`, each with a setup that builds
 * the loss (default parameters of the reference config) and inputs like a real batch, and
 * returns `run()` — one call, the scalar read back, everything it made disposed.
 */

import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { readYaml } from '../src/config/yaml.js';
import { createLoss } from '../src/losses/registry.js';
import { checkConfig } from '../src/lp/check.js';
import type { Loss, LossResult } from '../src/pipeline/loss.js';
import type { Labels } from '../src/pipeline/step.js';
import { buildFactory } from './factory.js';
import {
  heatmaps,
  jitter,
  K,
  MIRRORED_COLUMN_MATCHES,
  missingKeypoints,
  multiviewPredictions,
  pcaLabels,
  poseModel,
  projectedViews,
  RIG,
  randomWalk,
  rng,
  uniform01,
  withNaN,
} from './inputs.js';

export type Mode = 'fwd' | 'fwd+bwd';

/** A workload ready to run: `run()` makes one call and returns the scalar it read. */
export interface Prepared {
  run(): number;
  /** Frees the inputs (and anything else setup made). */
  dispose(): void;
  /** Shown beside the row (e.g. how the factory was built). */
  readonly note?: string;
}

export interface Workload {
  readonly name: string;
  /** The reference's median (PyTorch, one thread), where measured. */
  readonly referenceMs?: number;
  /** The reference's value is ours × this: a deliberate difference in scale (D3), compared after it. */
  readonly referenceValueScale?: number;
  /** Left: why it cannot run (a loss not registered yet, a module missing). */
  setup(): Promise<Either<string, Prepared>>;
}

// ---------------------------------------------------------------- inputs

type Arrays = Record<string, { shape: number[]; values: Float32Array }>;
export type Tensors = Record<string, tf.Tensor>;

const arrays = new Map<string, Arrays>();
/** Input arrays are generated once per id and shared by the fwd and fwd+bwd workloads. */
const memo = (id: string, make: () => Arrays) => (): Arrays => {
  if (!arrays.has(id)) arrays.set(id, make());
  return arrays.get(id)!;
};
const tensors = (a: Arrays): Tensors => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, tf.tensor(v.values, v.shape, 'float32')]));

const MISSING = 2; // target keypoints unlabeled per frame
const TARGET = { sigma: 1.25, floor: 0 }; // reference target maps (sigma 1.25 heatmap px)
const PRED = { sigma: 1.6, floor: 1e-4 }; // a softmax head: a little wider, never exactly 0

/** Labeled frames: targets with 2 of 17 maps empty, predictions near the labels. */
const heatmapBatch = (b: number, h: number, w: number, seed: number) =>
  memo(`heatmaps/${b}x${h}x${w}/${seed}`, () => {
    const r = rng(seed);
    const scale = 4; // image pixels per heatmap pixel (downsample factor 2)
    const kp = randomWalk(r, b, K, h * scale, 8);
    const miss = missingKeypoints(r, b, K, MISSING);
    const shape = [b, K, h, w];
    return {
      heatmaps_targ: { shape, values: heatmaps(kp, b, K, h, w, { ...TARGET, scale }, miss) },
      heatmaps_pred: { shape, values: heatmaps(jitter(r, kp, 4), b, K, h, w, { ...PRED, scale }) },
    };
  });

/** Consecutive video frames: predicted maps following a random walk, confidences in [0, 1]. */
const videoHeatmaps = (b: number, h: number, w: number, seed: number) =>
  memo(`video-heatmaps/${b}x${h}x${w}/${seed}`, () => {
    const r = rng(seed);
    const scale = 4;
    const kp = randomWalk(r, b, K, h * scale, 6);
    return {
      heatmaps_pred: { shape: [b, K, h, w], values: heatmaps(kp, b, K, h, w, { ...PRED, scale }) },
      confidences: { shape: [b, K], values: uniform01(r, b * K) },
    };
  });

/** Consecutive video frames: keypoints a random walk in pixels (256×256 image). */
const videoKeypoints = (b: number, seed: number) =>
  memo(`video-keypoints/${b}/${seed}`, () => {
    const r = rng(seed);
    return {
      keypoints_pred: { shape: [b, 2 * K], values: randomWalk(r, b, K, 256, 12) },
      confidences: { shape: [b, K], values: uniform01(r, b * K) },
    };
  });

/** Labeled frames from the pose model: NaN targets for 2 of 17 keypoints, predictions ±3 px. */
const labeledKeypoints = (b: number, seed: number) =>
  memo(`labeled-keypoints/${b}/${seed}`, () => {
    const r = rng(seed);
    const truth = poseModel(r).keypoints(b);
    const miss = missingKeypoints(r, b, K, MISSING);
    return {
      keypoints_targ: { shape: [b, 2 * K], values: withNaN(truth, miss) },
      keypoints_pred: { shape: [b, 2 * K], values: jitter(r, truth, 3) },
    };
  });

/** 3-D labels (2 of 17 keypoints NaN per frame) and each camera pair's triangulation (±2 px). */
const pairwise3d = (b: number, pairs: number, seed: number) =>
  memo(`pairwise/${b}x${pairs}/${seed}`, () => {
    const r = rng(seed);
    const truth = poseModel(r).points3d(b);
    const miss = missingKeypoints(r, b, K, MISSING);
    const targ = Float32Array.from(truth);
    for (let i = 0; i < b * K; i++) if (miss[i]) targ[3 * i] = targ[3 * i + 1] = targ[3 * i + 2] = NaN;
    const pred = new Float32Array(b * pairs * K * 3);
    for (let f = 0; f < b; f++)
      for (let p = 0; p < pairs; p++) for (let j = 0; j < K * 3; j++) pred[(f * pairs + p) * K * 3 + j] = truth[f * K * 3 + j] + 2 * r.normal();
    return {
      keypoints_targ_3d: { shape: [b, K, 3], values: targ },
      keypoints_pred_3d: { shape: [b, pairs, K, 3], values: pred },
    };
  });

/** 3-D labels (2 of 17 keypoints NaN per frame) and per-view 2-D predictions of them by the bench rig (±2 px). */
const pairwiseViews = (b: number, seed: number) =>
  memo(`pairwise-views/${b}/${seed}`, () => {
    const r = rng(seed);
    const truth = poseModel(r).points3d(b);
    const miss = missingKeypoints(r, b, K, MISSING);
    const targ = Float32Array.from(truth);
    for (let i = 0; i < b * K; i++) if (miss[i]) targ[3 * i] = targ[3 * i + 1] = targ[3 * i + 2] = NaN;
    return {
      keypoints_targ_3d: { shape: [b, K, 3], values: targ },
      keypoints_pred_views: { shape: [b, RIG.length, K, 2], values: projectedViews(r, truth, b) },
    };
  });

/** Target maps (2 of 17 empty) from 256×256-pixel labels, reprojected predictions ±3 px. */
const reprojection = (b: number, h: number, w: number, seed: number) =>
  memo(`reprojection/${b}x${h}x${w}/${seed}`, () => {
    const r = rng(seed);
    const kp = randomWalk(r, b, K, 256, 8);
    const miss = missingKeypoints(r, b, K, MISSING);
    return {
      heatmaps_targ: { shape: [b, K, h, w], values: heatmaps(kp, b, K, h, w, { ...TARGET, scale: 256 / h }, miss) },
      keypoints_pred_2d_reprojected: { shape: [b, K, 2], values: jitter(r, kp, 3) },
    };
  });

/**
 * Label maps (B, V·K, h, w) of the pose model's points seen by the bench rig (±2 px labels, 2 of 17
 * keypoints empty in every view), drawn at scale RIG px / map px, and per-view 2-D predictions (±2 px).
 */
const reprojectionViews = (b: number, h: number, w: number, seed: number) =>
  memo(`reprojection-views/${b}x${h}x${w}/${seed}`, () => {
    const r = rng(seed);
    const V = RIG.length;
    const truth = poseModel(r).points3d(b);
    const miss = missingKeypoints(r, b, K, MISSING);
    const missViews = Uint8Array.from({ length: b * V * K }, (_, i) => miss[Math.floor(i / (V * K)) * K + (i % K)]);
    const scale = RIG[0].size[0] / w;
    return {
      heatmaps_targ: { shape: [b, V * K, h, w], values: heatmaps(projectedViews(r, truth, b), b, V * K, h, w, { ...TARGET, scale }, missViews) },
      keypoints_pred_views: { shape: [b, V, K, 2], values: projectedViews(r, truth, b) },
    };
  });

/** Per-view predictions of the pose model's 3-D points by the bench rig (±2 px), per-view confidences. */
const multiviewBatch = (b: number, seed: number) =>
  memo(`multiview/${b}/${seed}`, () => {
    const { views, conf } = multiviewPredictions(rng(seed), b);
    return {
      keypoints_pred_views: { shape: [b, RIG.length, K, 2], values: views },
      confidences_views: { shape: [b, RIG.length, K], values: conf },
    };
  });

/** A training batch for the default factory: labeled maps, pose-model keypoints, confidences. */
const factoryBatch = (b: number, h: number, w: number, seed: number) =>
  memo(`factory/${b}x${h}x${w}/${seed}`, () => {
    const r = rng(seed);
    const scale = 256 / h;
    const kp = poseModel(r).keypoints(b);
    const miss = missingKeypoints(r, b, K, MISSING);
    return {
      heatmaps_targ: { shape: [b, K, h, w], values: heatmaps(kp, b, K, h, w, { ...TARGET, scale }, miss) },
      heatmaps_pred: { shape: [b, K, h, w], values: heatmaps(jitter(r, kp, 4), b, K, h, w, { ...PRED, scale }) },
      keypoints_pred: { shape: [b, 2 * K], values: jitter(r, kp, 3) },
      confidences: { shape: [b, K], values: uniform01(r, b * K) },
    };
  });

/** MMPose-style regression batch: pose-model targets, predictions ±8 px (both sides of wing's ω = 10), soft weights in [0, 1]. */
const weightedKeypoints = (b: number, seed: number) =>
  memo(`weighted-keypoints/${b}/${seed}`, () => {
    const r = rng(seed);
    const truth = poseModel(r).keypoints(b);
    return {
      keypoints_targ: { shape: [b, 2 * K], values: truth },
      keypoints_pred: { shape: [b, 2 * K], values: jitter(r, truth, 8) },
      keypoint_weights: { shape: [b, K], values: uniform01(r, b * K) },
    };
  });

/** The labeled heatmap batch with soft keypoint weights in [0, 1] (drawn from seed + 1000). */
const weightedHeatmaps = (b: number, h: number, w: number, seed: number) =>
  memo(`weighted-heatmaps/${b}x${h}x${w}/${seed}`, () => ({
    ...heatmapBatch(b, h, w, seed)(),
    keypoint_weights: { shape: [b, K], values: uniform01(rng(seed + 1000), b * K) },
  }));

let labelsCache: Labels | undefined;
/** PCA training labels: (1000, 34) from the pose model plus noise, some keypoints NaN. */
export const labels = (): Labels => (labelsCache ??= pcaLabels(11));

// ---------------------------------------------------------------- params (reference defaults)

const TEMPORAL = { log_weight: 11, epsilon: 20, prob_threshold: 0.05 };
/** No config block exists for these; epsilon 0 is the constructor's default (20 is in keypoint pixels). */
const TEMPORAL_HEATMAP = { log_weight: 11, epsilon: 0, prob_threshold: 0.05 };
const PCA_SINGLEVIEW = { log_weight: 11, components_to_keep: 0.99, epsilon: null };
const PCA_MULTIVIEW = { log_weight: 11, components_to_keep: 3, epsilon: null, mirrored_column_matches: MIRRORED_COLUMN_MATCHES };
/** The supervised factory adds the heatmap loss with log_weight 0. */
const SUPERVISED = { log_weight: 0 };
const SUPERVISED_FROM_VIEWS = { log_weight: 0, predictions: 'keypoints_pred_views' };
/** The multi-camera consistency losses: 1 px dead zone, the temporal loss's confidence threshold. */
const MULTIVIEW = { log_weight: 0, epsilon: 1, prob_threshold: 0.05 };
const REPROJECTION = { log_weight: 0, original_image_height: 256, original_image_width: 256, downsampled_image_height: 64, downsampled_image_width: 64 };
const REPROJECTION_FROM_VIEWS = { ...REPROJECTION, predictions: 'keypoints_pred_views' };

// ---------------------------------------------------------------- calls

const disposeResult = (r: LossResult): void => tf.dispose([r.loss, r.weight, r.weighted, ...r.logs.map((l) => l.value)]);

/** One forward call: the loss, its scalar read back (part of the timing), all outputs freed. */
const forward = (loss: Loss<string>, inputs: Tensors) => (): number => {
  const r = loss(inputs, 'train');
  const v = r.loss.dataSync()[0];
  disposeResult(r);
  return v;
};

/** One forward+backward call: value and gradients w.r.t. `keys`, the value read back, all freed. */
export const forwardBackward = (value: (inputs: Tensors) => tf.Scalar, inputs: Tensors, keys: readonly string[]) => {
  const xs = keys.map((k) => inputs[k]);
  const f = tf.valueAndGrads((...args: tf.Tensor[]) => value({ ...inputs, ...Object.fromEntries(keys.map((k, i) => [k, args[i]])) }));
  return (): number => {
    const { value: v, grads } = f(xs);
    const out = v.dataSync()[0];
    tf.dispose([v, ...grads]);
    return out;
  };
};

const issues = (left: readonly { path: string; message: string }[]): string => left.map((i) => `${i.path}: ${i.message}`).join('; ');

/** A workload of one registered loss. */
const lossWorkload = (
  loss: string,
  shape: string,
  mode: Mode,
  params: Record<string, unknown>,
  data: () => Arrays,
  opts: { labels?: boolean; cameras?: boolean; referenceMs?: number; name?: string; referenceValueScale?: number } = {},
): Workload => ({
  name: `${opts.name ?? loss}/${shape}/${mode}`,
  referenceMs: opts.referenceMs,
  referenceValueScale: opts.referenceValueScale,
  setup: async () => {
    const built = createLoss(loss, params, { ...(opts.labels ? { labels: labels() } : {}), ...(opts.cameras ? { cameras: RIG } : {}) });
    if (either.isLeft(built)) return either.left(issues(built.left));
    const l = built.right as Loss<string>;
    const inputs = tensors(data());
    const keys = l.predictions.filter((k) => k in inputs);
    if (mode === 'fwd+bwd' && keys.length === 0) return (tf.dispose(Object.values(inputs)), either.left(`${loss} reads no prediction among the inputs`));
    const run = mode === 'fwd' ? forward(l, inputs) : forwardBackward((ins) => l(ins, 'train').loss, inputs, keys);
    return either.right({ run, dispose: () => tf.dispose(Object.values(inputs)) });
  },
});

const both = (
  loss: string,
  shape: string,
  params: Record<string, unknown>,
  data: () => Arrays,
  /** name: the row's name in place of the loss's (the same loss on other inputs); referenceValueScale: Workload's */
  opts: { labels?: boolean; cameras?: boolean; referenceMs?: { fwd?: number; 'fwd+bwd'?: number }; name?: string; referenceValueScale?: number } = {},
): Workload[] =>
  (['fwd', 'fwd+bwd'] as const).map((m) =>
    lossWorkload(loss, shape, m, params, data, {
      labels: opts.labels,
      cameras: opts.cameras,
      referenceMs: opts.referenceMs?.[m],
      name: opts.name,
      referenceValueScale: opts.referenceValueScale,
    }),
  );

/** D3: ours scales the reprojection heatmap MSE by Hd·Wd, the reference by C·Hd (C = the maps' second dimension): its value is ours × C / Wd. */
const d3Scale = (maps: number, width: number) => maps / width;

/** A loss composed in one of the example configs (examples/losses/mmpose/<name>.yaml), as `poseloss check` builds it. */
const composedWorkload = (name: string, shape: string, mode: Mode, data: () => Arrays): Workload => ({
  name: `mmpose_${name}/${shape}/${mode}`,
  setup: async () => {
    const file = fileURLToPath(new URL(`../examples/losses/mmpose/${name}.yaml`, import.meta.url));
    const raw = readYaml(file);
    if (either.isLeft(raw)) return either.left(issues(raw.left));
    const report = checkConfig(raw.right);
    if (either.isLeft(report)) return either.left(issues(report.left));
    const l = report.right.losses.find((x) => x.record.name === name)?.loss as Loss<string> | undefined;
    if (!l) return either.left(`${file} builds no loss '${name}'`);
    const inputs = tensors(data());
    const keys = l.predictions.filter((k) => k in inputs);
    const run = mode === 'fwd' ? forward(l, inputs) : forwardBackward((ins) => l(ins, 'train').loss, inputs, keys);
    return either.right({ run, dispose: () => tf.dispose(Object.values(inputs)), note: l.kernel ? `fused kernel '${l.kernel}'` : 'tfjs ops' });
  },
});

const composed = (name: string, shape: string, data: () => Arrays): Workload[] =>
  (['fwd', 'fwd+bwd'] as const).map((m) => composedWorkload(name, shape, m, data));

/** `factory/default/fwd+bwd`: heatmap_mse (16×17×64×64) + temporal + pca_singleview (16×34). */
const factoryWorkload = (): Workload => ({
  name: 'factory/default/fwd+bwd',
  setup: async () => {
    const built = await buildFactory({ heatmap_mse: SUPERVISED, temporal: TEMPORAL, pca_singleview: PCA_SINGLEVIEW }, labels());
    if (either.isLeft(built)) return built;
    const inputs = tensors(factoryBatch(16, 64, 64, 31)());
    const { total, predictions, note } = built.right;
    const run = forwardBackward(
      total,
      inputs,
      predictions.filter((k) => k in inputs),
    );
    return either.right({ run, dispose: () => tf.dispose(Object.values(inputs)), note });
  },
});

/** Every workload, in report order. */
export const workloads = (): Workload[] => [
  ...both('heatmap_mse', '16x17x64x64', SUPERVISED, heatmapBatch(16, 64, 64, 1), { referenceMs: { 'fwd+bwd': 6.9 } }),
  ...both('heatmap_kl', '16x17x64x64', SUPERVISED, heatmapBatch(16, 64, 64, 1), { referenceMs: { 'fwd+bwd': 12.1 } }),
  ...both('heatmap_js', '16x17x64x64', SUPERVISED, heatmapBatch(16, 64, 64, 1), { referenceMs: { 'fwd+bwd': 40 } }),
  ...both('heatmap_mse', '8x17x96x96', SUPERVISED, heatmapBatch(8, 96, 96, 2)),
  ...both('heatmap_kl', '8x17x96x96', SUPERVISED, heatmapBatch(8, 96, 96, 2)),
  ...both('temporal', '256x34', TEMPORAL, videoKeypoints(256, 3)),
  ...both('temporal', '2048x34', TEMPORAL, videoKeypoints(2048, 4), { referenceMs: { 'fwd+bwd': 13.8 } }),
  ...both('temporal_heatmap_mse', '16x17x64x64', TEMPORAL_HEATMAP, videoHeatmaps(16, 64, 64, 5)),
  ...both('temporal_heatmap_kl', '16x17x64x64', TEMPORAL_HEATMAP, videoHeatmaps(16, 64, 64, 5), { referenceMs: { 'fwd+bwd': 41 } }),
  ...both('pca_singleview', '256x34', PCA_SINGLEVIEW, labeledKeypoints(256, 6), { labels: true, referenceMs: { 'fwd+bwd': 0.27 } }),
  ...both('pca_multiview', '256x34', PCA_MULTIVIEW, labeledKeypoints(256, 6), { labels: true }),
  ...both('regression', '256x34', SUPERVISED, labeledKeypoints(256, 6)),
  ...both('rmse', '256x34', SUPERVISED, labeledKeypoints(256, 6)),
  ...both('supervised_pairwise_projections', '256x3x17x3', SUPERVISED, pairwise3d(256, 3, 7)),
  // the same loss from per-view 2-D predictions: triangulate_pairs (every camera pair's DLT) in the pipeline
  ...both('supervised_pairwise_projections', '256x3x17', SUPERVISED_FROM_VIEWS, pairwiseViews(256, 10), {
    cameras: true,
    name: 'supervised_pairwise_projections_from_views',
  }),
  ...both('supervised_reprojection_heatmap_mse', '16x17x64x64', REPROJECTION, reprojection(16, 64, 64, 8), { referenceValueScale: d3Scale(K, 64) }),
  // the same loss from per-view 2-D predictions: triangulate_pairs → project_views (mean of the pairs, every view) → maps (B, V·K, 64, 64)
  ...both('supervised_reprojection_heatmap_mse', '16x3x17x64x64', REPROJECTION_FROM_VIEWS, reprojectionViews(16, 64, 64, 12), {
    cameras: true,
    name: 'supervised_reprojection_heatmap_mse_from_views',
    referenceValueScale: d3Scale(RIG.length * K, 64),
  }),
  ...both('cycle_reprojection', '256x3x17', MULTIVIEW, multiviewBatch(256, 9), { cameras: true }),
  ...both('triangulation_residual', '256x3x17', MULTIVIEW, multiviewBatch(256, 9), { cameras: true }),
  factoryWorkload(),
  ...composed('wing', '256x17', weightedKeypoints(256, 9)),
  ...composed('adaptive_wing', '16x17x64x64', weightedHeatmaps(16, 64, 64, 1)),
  ...composed('keypoint_mse', '16x17x64x64', weightedHeatmaps(16, 64, 64, 1)),
  ...composed('ohkm_mse', '16x17x64x64', weightedHeatmaps(16, 64, 64, 1)),
];
