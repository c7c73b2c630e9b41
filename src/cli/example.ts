import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { formatIssues } from '../config/issues.js';
import { exampleBatch } from '../example/batch.js';
import { createLoss, lossNames } from '../losses/registry.js';
import { type ArgSpec, parseArgs } from './args.js';
import { guardSync, type Out } from './guard.js';

export const EXAMPLE_USAGE = `usage: poseloss example
  every loss on a built-in synthetic batch (8 frames, 17 keypoints, 64×64 heatmaps): value, weight,
  weighted value and gradient norm; no options`;

export const EXAMPLE_ARGS: ArgSpec = { valued: [], usage: EXAMPLE_USAGE };

/** Parameters for the example: Lightning Pose's config_default values where it has them. */
const EXAMPLE_PARAMS: Record<string, Record<string, unknown>> = {
  temporal: { log_weight: 11, epsilon: 20, prob_threshold: 0.05 },
  temporal_heatmap_mse: { log_weight: 11, epsilon: 0, prob_threshold: 0.05 },
  temporal_heatmap_kl: { log_weight: 11, epsilon: 0, prob_threshold: 0.05 },
  pca_singleview: { log_weight: 11, components_to_keep: 0.99, epsilon: null },
  pca_multiview: {
    log_weight: 11,
    components_to_keep: 3,
    epsilon: null,
    mirrored_column_matches: [
      [0, 1, 2, 3, 4, 5, 6, 7],
      [8, 9, 10, 11, 12, 13, 14, 15],
    ],
  },
  supervised_reprojection_heatmap_mse: { original_image_height: 256, original_image_width: 256, downsampled_image_height: 64, downsampled_image_width: 64 },
};

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(4) : v.toFixed(4)).padStart(12);

/**
 * `poseloss example`: every registered loss on a deterministic synthetic batch (8 frames,
 * 17 keypoints, 64×64 heatmaps), with its value, weight, weighted value and gradient norm.
 */
export const exampleCommand = (argv: readonly string[] = [], out: Out = console.log, err: Out = console.error): number =>
  guardSync(err, () => {
    parseArgs(argv, EXAMPLE_ARGS);
    const batch = exampleBatch();
    out(`synthetic batch: ${batch.frames} frames, ${batch.keypoints} keypoints, heatmaps 64×64, 2 keypoints unlabeled per frame`);
    out(`${'loss'.padEnd(38)}${'value'.padStart(12)}${'weight'.padStart(12)}${'weighted'.padStart(12)}${'|grad|'.padStart(12)}`);
    let failed = 0;
    for (const name of lossNames()) {
      if (name === 'supervised_pairwise_projections') continue; // needs 3-D inputs the example has no camera model for
      const built = createLoss(name, EXAMPLE_PARAMS[name] ?? { log_weight: 0 }, { labels: batch.labels, cameras: batch.cameras });
      if (either.isLeft(built)) {
        failed++;
        out(`${name.padEnd(38)} error: ${formatIssues(built.left)}`);
        continue;
      }
      const loss = built.right;
      const r = loss(batch.inputs, 'train');
      const preds = loss.predictions.filter((k) => batch.inputs[k]);
      const gs = tf.grads((...xs: tf.Tensor[]) => loss({ ...batch.inputs, ...Object.fromEntries(preds.map((k, i) => [k, xs[i]])) }, 'train').loss)(
        preds.map((k) => batch.inputs[k]),
      );
      const gnorm = Math.sqrt(gs.reduce((s, g) => s + tf.tidy(() => g.square().sum().dataSync()[0]), 0));
      out(`${name.padEnd(38)}${fmt(r.loss.dataSync()[0])}${fmt(r.weight.dataSync()[0])}${fmt(r.weighted.dataSync()[0])}${fmt(gnorm)}`);
      tf.dispose([r.loss, r.weight, r.weighted, ...gs]);
    }
    tf.dispose(Object.values(batch.inputs));
    return failed === 0 ? 0 : 1;
  });
