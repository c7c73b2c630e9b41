import { fileURLToPath } from 'node:url';
import { either } from 'fp-ts';
import * as t from 'io-ts';
import { positive } from '../config/codecs.js';
import { PoselossError } from '../config/issues.js';
import { annealWeight } from '../config/lightningPose.js';
import { report } from '../config/reporter.js';
import { readYaml } from '../config/yaml.js';
import { buildLossFactoriesOrThrow, type Factories } from '../lp/factory.js';
import type { Labels } from '../pipeline/step.js';

/** The bundled config, beside this module. */
export const DEMO_CONFIG = fileURLToPath(new URL('./demo.yaml', import.meta.url));

const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'a positive integer');

/** The parts of `training:` and `dali:` the demo's trainer reads (Lightning Pose names). */
const Training = t.type({
  training: t.type({ train_batch_size: PositiveInt, max_epochs: PositiveInt, optimizer_params: t.type({ learning_rate: positive }) }),
  dali: t.type({ base: t.type({ train: t.type({ sequence_length: t.refinement(PositiveInt, (n) => n >= 2, 'an integer ≥ 2') }) }) }),
});

export interface DemoConfig {
  readonly raw: Record<string, unknown>;
  readonly batchSize: number;
  readonly clipLength: number;
  readonly learningRate: number;
  readonly maxEpochs: number;
}

export const readDemoConfig = (file = DEMO_CONFIG): DemoConfig => {
  const raw = readYaml(file);
  if (either.isLeft(raw)) throw new PoselossError(raw.left);
  const tr = Training.decode(raw.right);
  if (either.isLeft(tr)) throw new PoselossError(report(tr.left));
  const { training, dali } = tr.right;
  return {
    raw: raw.right as Record<string, unknown>,
    batchSize: training.train_batch_size,
    clipLength: dali.base.train.sequence_length,
    learningRate: training.optimizer_params.learning_rate,
    maxEpochs: training.max_epochs,
  };
};

/**
 * The two runs' loss factories from the same config: `semi` as written, `supervised` with
 * `model.losses_to_use: []` (so its unsupervised factory is empty). The PCA is fitted on `labels`.
 */
export const demoFactories = (cfg: DemoConfig, labels: Labels): { supervised: Factories; semi: Factories } => {
  const model = (cfg.raw.model ?? {}) as Record<string, unknown>;
  return {
    supervised: buildLossFactoriesOrThrow({ ...cfg.raw, model: { ...model, losses_to_use: [] } }, { labels }),
    semi: buildLossFactoriesOrThrow(cfg.raw, { labels }),
  };
};

/** The unsupervised weight at `step` of `steps`: the config's anneal schedule over `maxEpochs` reference epochs. */
export const annealAt = (f: Factories, maxEpochs: number, steps: number) => {
  const w = annealWeight(f.config.anneal);
  return (step: number): number => w(Math.floor((maxEpochs * step) / steps));
};
