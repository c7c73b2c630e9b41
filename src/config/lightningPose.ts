import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import * as t from 'io-ts';
import { IndexList, MatchesCodec } from '../pca/codecs.js';
import { finite, nullable, oneOf, strict } from './codecs.js';
import { issue, type PoselossIssue } from './issues.js';
import { report } from './reporter.js';

const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
const NonNegative = t.refinement(t.number, (n) => Number.isFinite(n) && n >= 0, 'a number ≥ 0');

/** The parts of `model:` that concern losses; other keys pass through. */
const Model = t.partial({
  losses_to_use: nullable(t.array(t.string)),
  model_type: t.string,
  heatmap_loss_type: oneOf(['mse', 'kl', 'js'] as const, 'heatmap_loss_type'),
});

/** The parts of `data:` that concern losses; other keys pass through. */
const Data = t.partial({
  num_keypoints: nullable(PositiveInt),
  keypoint_names: nullable(t.array(t.string)),
  columns_for_singleview_pca: nullable(IndexList),
  mirrored_column_matches: nullable(MatchesCodec),
  view_names: nullable(t.array(t.string)),
  camera_params_file: nullable(t.string),
  image_resize_dims: t.partial({ height: nullable(PositiveInt), width: nullable(PositiveInt) }),
  downsample_factor: PositiveInt,
});

/** `callbacks.anneal_weight`: the reference's AnnealWeight callback parameters. */
export const AnnealParams = strict(
  'anneal_weight',
  {
    attr_name: t.string,
    init_val: finite,
    increase_factor: NonNegative,
    final_val: finite,
    freeze_until_epoch: t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
  },
  { attr_name: 'total_unsupervised_importance', init_val: 0, increase_factor: 0.01, final_val: 1, freeze_until_epoch: 0 },
);
export type AnnealParams = t.TypeOf<typeof AnnealParams>;

const Root = t.partial({
  model: Model,
  data: Data,
  losses: nullable(t.record(t.string, t.unknown)),
  callbacks: t.partial({ anneal_weight: t.unknown }),
});

export interface LpConfig {
  readonly model: { losses_to_use: string[] | null; model_type: string; heatmap_loss_type: 'mse' | 'kl' | 'js' };
  readonly data: t.TypeOf<typeof Data> & { downsample_factor: number };
  /** `losses.<name>` blocks, as written. */
  readonly losses: Readonly<Record<string, unknown>>;
  readonly anneal: AnnealParams;
  /** The whole document; sections poseloss does not read pass through untouched. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * Decode the loss-related parts of a Lightning Pose config (config_default.yaml layout),
 * with the reference's defaults; every error carries its path.
 */
export const decodeConfig = (raw: unknown): Either<PoselossIssue[], LpConfig> => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return either.left([issue('', 'expected a config mapping (model, data, losses, ...)')]);
  const root = Root.decode(raw);
  if (either.isLeft(root)) return either.left(report(root.left));
  const r = root.right;
  const anneal = AnnealParams.decode(r.callbacks?.anneal_weight ?? {});
  const losses = r.losses ?? {};
  const errs: PoselossIssue[] = either.isLeft(anneal) ? report(anneal.left, 'callbacks.anneal_weight') : [];
  for (const [name, block] of Object.entries(losses))
    if (block !== null && (typeof block !== 'object' || Array.isArray(block)))
      errs.push(issue(`losses.${name}`, `expected a mapping of parameters, got ${JSON.stringify(block)}`));
  if (errs.length || either.isLeft(anneal)) return either.left(errs);
  return either.right({
    model: {
      losses_to_use: r.model?.losses_to_use === undefined ? [] : r.model.losses_to_use,
      model_type: r.model?.model_type ?? 'heatmap',
      heatmap_loss_type: r.model?.heatmap_loss_type ?? 'mse',
    },
    data: { ...r.data, downsample_factor: r.data?.downsample_factor ?? 2 },
    losses: Object.fromEntries(Object.entries(losses).map(([k, v]) => [k, v ?? {}])),
    anneal: anneal.right,
    raw: raw as Record<string, unknown>,
  });
};

/** The reference's anneal schedule: init_val until freeze_until_epoch, then +increase_factor per epoch up to final_val. */
export const annealWeight =
  (p: AnnealParams) =>
  (epoch: number): number =>
    epoch <= p.freeze_until_epoch ? p.init_val : Math.min(p.init_val + (epoch - p.freeze_until_epoch) * p.increase_factor, p.final_val);
