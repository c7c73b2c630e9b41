/**
 * The default training objective for `factory/default/fwd+bwd`: the library's factory
 * (`src/lp/factory.ts`, `buildLossFactories(config, { labels })`) when it exists,
 * else the same sum composed here from the three losses' weighted values.
 */
import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { createLoss } from '../src/losses/registry.js';
import { PREDICTION_KEYS } from '../src/pipeline/inputs.js';
import type { Loss } from '../src/pipeline/loss.js';
import type { Labels } from '../src/pipeline/step.js';

type Tensors = Record<string, tf.Tensor>;

export interface Objective {
  /** The annealed total (anneal weight 1) of every loss, as one scalar. */
  readonly total: (inputs: Tensors) => tf.Scalar;
  /** The keys gradients are taken with respect to. */
  readonly predictions: readonly string[];
  readonly note: string;
}

/** The three default losses by name, with their parameters. */
export interface DefaultLosses {
  readonly heatmap_mse: Record<string, unknown>;
  readonly temporal: Record<string, unknown>;
  readonly pca_singleview: Record<string, unknown>;
}

/** The Lightning Pose config fragment that yields these losses. */
const config = (p: DefaultLosses) => ({
  model: { model_type: 'heatmap', heatmap_loss_type: 'mse', losses_to_use: ['temporal', 'pca_singleview'] },
  data: { num_keypoints: 17, columns_for_singleview_pca: null, mirrored_column_matches: null },
  losses: { temporal: p.temporal, pca_singleview: p.pca_singleview },
});

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** A scalar out of whatever a factory call returns: a tensor, `[total, logs]`, or `{ total | loss }`. */
const scalarOf = (r: unknown): tf.Scalar | undefined => {
  if (r instanceof tf.Tensor) return r as tf.Scalar;
  if (Array.isArray(r)) return scalarOf(r[0]);
  if (r && typeof r === 'object') {
    const o = r as Record<string, unknown>;
    for (const k of ['total', 'loss', 'value']) if (o[k] instanceof tf.Tensor) return o[k] as tf.Scalar;
  }
  return undefined;
};

type Factory = (inputs: Tensors, stage: string, anneal: number) => unknown;

/** Try the library's factory; undefined when the module is not there. */
const fromLibrary = async (p: DefaultLosses, labels: Labels): Promise<Either<string, Objective> | undefined> => {
  const path = '../src/lp/factory.js'; // a variable: the module may not exist yet
  let mod: Record<string, unknown>;
  try {
    mod = (await import(path)) as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    return either.left(`src/lp/factory.ts failed to load: ${message(e)}`);
  }
  const build = mod.buildLossFactories;
  if (typeof build !== 'function') return either.left('src/lp/factory.ts exports no buildLossFactories');
  let built: unknown;
  try {
    built = build(config(p), { labels });
  } catch (e) {
    return either.left(`buildLossFactories threw: ${message(e)}`);
  }
  const tagged = built as { _tag?: string; left?: unknown; right?: unknown };
  if (tagged._tag === 'Left') return either.left(`buildLossFactories: ${JSON.stringify(tagged.left).slice(0, 300)}`);
  const fs = (tagged._tag === 'Right' ? tagged.right : built) as Record<string, unknown>;
  const sup = fs?.supervised;
  const unsup = fs?.unsupervised;
  if (typeof sup !== 'function' || typeof unsup !== 'function')
    return either.left('buildLossFactories: expected callable { supervised, unsupervised } factories');
  const call = (f: Factory, inputs: Tensors): tf.Scalar => {
    const s = scalarOf(f(inputs, 'train', 1));
    if (!s) throw new Error('a factory call returned no scalar (expected a tensor, [total, logs] or { total })');
    return s;
  };
  const names = [sup, unsup].flatMap((f) => ((f as { names?: unknown }).names as string[] | undefined) ?? ['?']);
  return either.right({
    total: (inputs) => tf.tidy(() => call(sup as Factory, inputs).add(call(unsup as Factory, inputs)) as tf.Scalar),
    predictions: PREDICTION_KEYS,
    note: `src/lp/factory.ts (${names.join(' + ')}, anneal 1)`,
  });
};

/** The factory's sum, composed from `createLoss` (anneal 1, so every loss counts weight·loss). */
export const composed = (p: DefaultLosses, labels: Labels): Either<string, Objective> => {
  const losses: Loss<string>[] = [];
  for (const [name, params] of Object.entries(p)) {
    const r = createLoss(name, params, { labels });
    if (either.isLeft(r)) return either.left(r.left.map((i) => `${i.path}: ${i.message}`).join('; '));
    losses.push(r.right as Loss<string>);
  }
  return either.right({
    total: (inputs) => tf.tidy(() => tf.addN(losses.map((l) => l(inputs, 'train').weighted)) as tf.Scalar),
    predictions: [...new Set(losses.flatMap((l) => l.predictions))],
    note: 'composed in bench: factory not built',
  });
};

export const buildFactory = async (p: DefaultLosses, labels: Labels): Promise<Either<string, Objective>> =>
  (await fromLibrary(p, labels)) ?? composed(p, labels);
