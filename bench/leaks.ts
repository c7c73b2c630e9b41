/**
 * `npm run leaks [-- --calls N] [--backend wasm,cpu] [--filter <substring>] [--json]`: leak
 * loops. Every built-in loss (fused and on the tfjs-ops path) and the default factory is
 * called N times (default 10⁴) per backend in four ways — a plain call, `tf.grad` w.r.t. its
 * predictions, an optimizer step on a variable prediction, and a call rejected by the input
 * check inside `tf.grad` — and the engine's tensor count and bytes must be the same after
 * the loop as before it. Exit 1 when any loop leaks. `tests/bench/leaks.test.ts` runs a
 * short form (a few calls each) in CI.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { initBackend } from '../src/backend/index.js';
import { createLoss, lossNames } from '../src/losses/registry.js';
import { buildLossFactories } from '../src/lp/factory.js';
import { heatmaps, jitter, K, missingKeypoints, pcaLabels, poseModel, RIG, randomWalk, rng, uniform01, withNaN } from './inputs.js';

type Tensors = Record<string, tf.Tensor>;
type Arrays = Record<string, { shape: number[]; values: Float32Array }>;

/** Something to call: every tensor a plain call returns, its value on inputs, the prediction keys, the inputs as arrays. */
interface Subject {
  readonly name: string;
  readonly outputs: (inputs: Tensors) => tf.Tensor[];
  readonly value: (inputs: Tensors) => tf.Scalar;
  readonly predictions: readonly string[];
  readonly inputs: () => Arrays;
}

export type Mode = 'call' | 'grad' | 'optimizer' | 'rejected';
export const MODES: readonly Mode[] = ['call', 'grad', 'optimizer', 'rejected'];

export interface LeakRow {
  readonly backend: string;
  readonly subject: string;
  readonly mode: Mode;
  readonly calls: number;
  readonly tensors: number;
  readonly bytes: number;
}

const B = 4;
const H = 8;
const small = (): Arrays => {
  const r = rng(5);
  const kp = randomWalk(r, B, K, H * 4, 2);
  const truth = poseModel(r).keypoints(B);
  const shape = [B, K, H, H];
  const opts = { sigma: 1.25, floor: 1e-4, scale: 4 };
  return {
    heatmaps_targ: { shape, values: heatmaps(kp, B, K, H, H, { ...opts, floor: 0 }) },
    heatmaps_pred: {
      shape,
      values: heatmaps(
        kp.map((v) => v + 1),
        B,
        K,
        H,
        H,
        opts,
      ),
    },
    confidences: { shape: [B, K], values: uniform01(r, B * K) },
    keypoints_targ: { shape: [B, 2 * K], values: withNaN(truth, missingKeypoints(r, B, K, 2)) },
    keypoints_pred: { shape: [B, 2 * K], values: jitter(r, truth, 3) },
    keypoints_targ_3d: { shape: [B, K, 3], values: Float32Array.from({ length: B * K * 3 }, () => 10 * r.normal()) },
    keypoints_pred_3d: { shape: [B, 2, K, 3], values: Float32Array.from({ length: B * 2 * K * 3 }, () => 10 * r.normal()) },
    keypoints_pred_2d_reprojected: { shape: [B, K, 2], values: Float32Array.from({ length: B * K * 2 }, () => 16 + 4 * r.normal()) },
    // per camera view of the bench rig (RIG): near the image centre, one view of one keypoint missing
    keypoints_pred_views: {
      shape: [B, RIG.length, K, 2],
      values: Float32Array.from({ length: B * RIG.length * K * 2 }, (_, i) => (i < 2 ? NaN : 256 + 20 * r.normal())),
    },
    confidences_views: { shape: [B, RIG.length, K], values: uniform01(r, B * RIG.length * K) },
  };
};

/** Parameters for the registered losses that need some (or are tested with other than the defaults); every other loss is built with {}. */
const PARAMS: Readonly<Record<string, Record<string, unknown>>> = {
  temporal: { epsilon: 1 },
  pca_singleview: { components_to_keep: 3 },
  pca_multiview: {
    components_to_keep: 3,
    mirrored_column_matches: [
      [0, 1, 2, 3, 4, 5, 6, 7],
      [8, 9, 10, 11, 12, 13, 14, 15],
    ],
  },
  supervised_reprojection_heatmap_mse: { original_image_height: 32, original_image_width: 32, downsampled_image_height: H, downsampled_image_width: H },
};

function fail(what: string, issues: readonly { path: string; message: string }[]): never {
  throw new Error(`${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
}

/** Every registered loss, fused and on the tfjs-ops path, and the default factory (heatmap_mse + temporal + pca_singleview). */
export const subjects = (): Subject[] => {
  const labels = pcaLabels(11);
  const out: Subject[] = [];
  for (const name of lossNames())
    for (const fused of [true, false]) {
      const r = createLoss(name, Object.hasOwn(PARAMS, name) ? PARAMS[name] : {}, { fused, labels, cameras: RIG });
      if (either.isLeft(r)) fail(name, r.left);
      const loss = r.right;
      out.push({
        name: `${name}${fused ? (loss.kernel ? ` (fused: ${loss.kernel})` : ' (no kernel)') : ' (tfjs ops)'}`,
        outputs: (ins) => {
          const r = loss(ins, 'train');
          return [r.loss, r.weight, r.weighted, ...r.logs.map((l) => l.value)];
        },
        value: (ins) => loss(ins, 'train').loss,
        predictions: loss.predictions,
        inputs: small,
      });
    }
  const f = buildLossFactories(
    {
      data: { num_keypoints: K, columns_for_singleview_pca: Array.from({ length: K }, (_, i) => i) },
      model: { model_type: 'heatmap', heatmap_loss_type: 'mse', losses_to_use: ['temporal', 'pca_singleview'] },
      losses: { temporal: { log_weight: 0, epsilon: 1, prob_threshold: 0.05 }, pca_singleview: { log_weight: 0, components_to_keep: 3 } },
    },
    { labels },
  );
  if (either.isLeft(f)) fail('factory', f.left);
  const { supervised, unsupervised } = f.right;
  out.push({
    name: 'factory (heatmap_mse + temporal + pca_singleview)',
    outputs: (ins) => [supervised(ins), unsupervised(ins)].flatMap((r) => [r.total, ...r.logs.map((l) => l.value)]),
    value: (ins) => tf.tidy(() => supervised(ins).total.add(unsupervised(ins).total) as tf.Scalar),
    predictions: ['heatmaps_pred', 'keypoints_pred'],
    inputs: small,
  });
  return out;
};

/** One call of `mode`, everything it made disposed. */
const step = (s: Subject, mode: Mode, ins: Tensors, vars: Record<string, tf.Variable>, opt: tf.Optimizer): void => {
  const keys = s.predictions.filter((k) => k in ins);
  const at = (xs: tf.Tensor[]) => ({ ...ins, ...Object.fromEntries(keys.map((k, i) => [k, xs[i]])) });
  if (mode === 'call') {
    const out = s.outputs(ins);
    out[0].dataSync();
    tf.dispose(out);
  } else if (mode === 'grad') {
    const gs = tf.grads((...xs: tf.Tensor[]) => s.value(at(xs)))(keys.map((k) => ins[k]));
    gs[0].dataSync();
    tf.dispose(gs);
  } else if (mode === 'optimizer') {
    const cost = opt.minimize(
      () => s.value({ ...ins, ...vars }),
      true,
      keys.map((k) => vars[k]),
    );
    cost!.dataSync();
    cost!.dispose();
  } else {
    const bad = tf.ones(ins[keys[0]].shape, 'int32');
    try {
      tf.grads((...xs: tf.Tensor[]) => s.value({ ...at(xs), [keys[0]]: bad }))(keys.map((k) => ins[k]));
      throw new Error(`${s.name}: an int32 prediction was accepted`);
    } catch (e) {
      if (!(e instanceof Error) || e.name !== 'LossInputError') throw e;
    } finally {
      bad.dispose();
    }
  }
};

/** Run every subject × mode `calls` times on the current backend; the count and bytes the engine holds after each loop, less before. */
export const leakLoops = (calls: number, filter = ''): LeakRow[] => {
  const rows: LeakRow[] = [];
  const opt = tf.train.sgd(1e-9);
  for (const s of subjects().filter((x) => x.name.includes(filter))) {
    const arrays = s.inputs();
    const ins = Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, tf.tensor(a.values, a.shape, 'float32')]));
    const vars = Object.fromEntries(s.predictions.filter((k) => k in ins).map((k) => [k, tf.variable(ins[k].clone(), true, `${k}_${rows.length}`)]));
    for (const mode of MODES) {
      step(s, mode, ins, vars, opt); // warm-up: kernels, optimizer slots
      const m0 = tf.memory();
      for (let i = 0; i < calls; i++) step(s, mode, ins, vars, opt);
      const m1 = tf.memory();
      rows.push({ backend: tf.getBackend(), subject: s.name, mode, calls, tensors: m1.numTensors - m0.numTensors, bytes: m1.numBytes - m0.numBytes });
    }
    tf.dispose([...Object.values(ins), ...Object.values(vars)]);
  }
  opt.dispose();
  return rows;
};

const main = async (): Promise<void> => {
  const argv = process.argv.slice(2);
  const arg = (name: string, def: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : def;
  };
  const calls = Number(arg('calls', '10000'));
  if (!Number.isInteger(calls) || calls < 1)
    return void (console.error(`--calls: expected a positive integer, got ${arg('calls', '')}`), (process.exitCode = 2));
  const backends = arg('backend', 'wasm,cpu').split(',');
  const rows: LeakRow[] = [];
  await initBackend('wasm');
  for (const b of backends) {
    if (!(await tf.setBackend(b))) return void (console.error(`backend ${b} is not available`), (process.exitCode = 2));
    const t0 = performance.now();
    const r = leakLoops(calls, arg('filter', ''));
    rows.push(...r);
    if (!argv.includes('--json'))
      for (const x of r)
        console.log(`${x.backend.padEnd(5)} ${x.subject.padEnd(58)} ${x.mode.padEnd(10)} ${x.calls} calls: ${x.tensors} tensors, ${x.bytes} bytes`);
    if (!argv.includes('--json')) console.log(`${b}: ${r.length} loops in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const leaking = rows.filter((r) => r.tensors !== 0 || r.bytes !== 0);
  if (argv.includes('--json')) console.log(JSON.stringify({ calls, rows }));
  else
    console.log(
      leaking.length ? `LEAKS in ${leaking.length} of ${rows.length} loops` : `no leaks: ${rows.length} loops × ${calls} calls, tensor count and bytes flat`,
    );
  process.exitCode = leaking.length ? 1 : 0;
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
