import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { issue, type PoselossIssue } from '../config/issues.js';
import type { LpConfig } from '../config/lightningPose.js';
import { suggestion } from '../config/closest.js';
import { expandFlatMatches } from '../pca/format.js';
import { getLossDef, lossNames } from '../losses/registry.js';
import { decodeStep } from '../steps/registry.js';
import { report } from '../config/reporter.js';

/** One loss a factory will build: a registered loss with its parameters, or a pipeline written in the config. */
export interface LossEntry {
  readonly name: string;
  /** Config path of its parameters, for messages. */
  readonly path: string;
  readonly params: Record<string, unknown>;
  /** A user-composed loss (its block has `pipeline:`). */
  readonly composed: boolean;
}

export interface Wiring {
  readonly supervised: readonly LossEntry[];
  readonly unsupervised: readonly LossEntry[];
}

const isComposed = (block: unknown): boolean => typeof block === 'object' && block !== null && 'pipeline' in block;

const isNumberList = (u: unknown): u is number[] => Array.isArray(u) && u.every((v) => typeof v === 'number');

/** Per-keypoint epsilon lists must have num_keypoints entries: in a loss block, or in a composed pipeline's rectify steps. */
const epsilonIssues = (name: string, block: Record<string, unknown>, k: number | null | undefined): PoselossIssue[] => {
  if (!k) return [];
  const bad = (path: string, eps: unknown) =>
    isNumberList(eps) && eps.length !== k ? [issue(path, `expected a number or ${k} numbers (one per keypoint), got ${eps.length}`)] : [];
  const out = bad(`losses.${name}.epsilon`, block.epsilon);
  if (Array.isArray(block.pipeline))
    block.pipeline.forEach((s, i) => {
      if (s && typeof s === 'object' && 'rectify' in s) out.push(...bad(`losses.${name}.pipeline[${i}].epsilon`, (s as Record<string, unknown>).epsilon));
    });
  return out;
};

/** Keypoint indices in range and (multiview) lists of equal length. */
const dataIssues = (cfg: LpConfig): PoselossIssue[] => {
  const out: PoselossIssue[] = [];
  const k = cfg.data.num_keypoints;
  const views = cfg.data.view_names?.length ?? 0;
  // num_keypoints counts one view's keypoints in true multiview and all of them otherwise:
  // either way it bounds the indices
  const range = (path: string, i: number) => {
    if (k && i >= k) out.push(issue(path, `keypoint index ${i} is outside the ${k} keypoints (data.num_keypoints = ${k})`));
  };
  cfg.data.columns_for_singleview_pca?.forEach((c, i) => range(`data.columns_for_singleview_pca[${i}]`, c));
  const m = cfg.data.mirrored_column_matches;
  if (m && m.length > 0) {
    if (isNumberList(m)) {
      if (views <= 1) out.push(issue('data.mirrored_column_matches', 'a flat list of indices needs data.view_names with 2 or more views; for a mirrored setup give one list per view'));
      m.forEach((c, i) => range(`data.mirrored_column_matches[${i}]`, c));
    } else {
      const lists = m as number[][];
      lists.forEach((l, v) => {
        if (l.length !== lists[0].length) out.push(issue(`data.mirrored_column_matches[${v}]`, `lists ${l.length} keypoints, but view 0 lists ${lists[0].length}: every view matches the same keypoints`));
        l.forEach((c, j) => range(`data.mirrored_column_matches[${v}][${j}]`, c));
      });
    }
  }
  return out;
};

/** Parameters of an unsupervised loss: its block plus what the reference takes from `data:` (§10). */
const unsupervisedParams = (cfg: LpConfig, name: string, block: Record<string, unknown>, path: string): Either<PoselossIssue[], Record<string, unknown>> => {
  const views = cfg.data.view_names?.length ?? 0;
  if (name === 'pca_singleview') {
    if (views > 1) return either.left([issue(path, 'pca_singleview is not implemented for multiview data (data.view_names has several views), as in the reference: use pca_multiview')]);
    return either.right({ ...block, columns_for_singleview_pca: cfg.data.columns_for_singleview_pca ?? null });
  }
  if (name === 'pca_multiview') {
    const m = cfg.data.mirrored_column_matches;
    if (!m || m.length === 0) return either.left([issue('data.mirrored_column_matches', 'pca_multiview needs mirrored_column_matches (one list of keypoint indices per view)')]);
    if (isNumberList(m)) {
      if (!cfg.data.num_keypoints) return either.left([issue('data.num_keypoints', 'needed to expand a flat mirrored_column_matches over data.view_names')]);
      return either.right({ ...block, mirrored_column_matches: expandFlatMatches(m, views, cfg.data.num_keypoints) });
    }
    return either.right({ ...block, mirrored_column_matches: m });
  }
  return either.right(block);
};

/**
 * Which losses a config selects, with which parameters, wired as the reference's
 * `get_loss_factories` (spec §10): the supervised heatmap or regression loss from the model
 * type, the multiview supervised losses when configured, the unsupervised losses of
 * `model.losses_to_use`. Every loss block is checked, selected or not; all issues at once.
 */
export const wireLosses = (cfg: LpConfig): { wiring: Wiring; issues: PoselossIssue[] } => {
  const errs: PoselossIssue[] = [...dataIssues(cfg)];
  const blocks = cfg.losses as Record<string, Record<string, unknown>>;
  const known = [...lossNames(), ...Object.keys(blocks).filter((n) => isComposed(blocks[n]))];
  const selected = new Set(cfg.model.losses_to_use ?? []);
  for (const [name, block] of Object.entries(blocks)) {
    if (!isComposed(block) && !getLossDef(name)) errs.push(issue(`losses.${name}`, `unknown loss '${name}'${suggestion(name, lossNames())}; a loss of your own needs a pipeline: list`));
    errs.push(...epsilonIssues(name, block, cfg.data.num_keypoints), ...blockIssues(name, block));
    // a selected loss is checked when it is built; an unselected block is checked here, as data
    if (!selected.has(name)) errs.push(...unselectedIssues(name, block));
  }
  const supervised: LossEntry[] = [];
  const { model_type, heatmap_loss_type } = cfg.model;
  if (model_type.includes('heatmap')) {
    supervised.push({ name: `heatmap_${heatmap_loss_type}`, path: 'model.heatmap_loss_type', params: { log_weight: 0 }, composed: false });
    if (model_type.includes('multiview') && cfg.data.camera_params_file) {
      const pw = blocks.supervised_pairwise_projections?.log_weight;
      if (pw !== undefined && pw !== null) supervised.push({ name: 'supervised_pairwise_projections', path: 'losses.supervised_pairwise_projections', params: { log_weight: pw }, composed: false });
      const rw = blocks.supervised_reprojection_heatmap_mse?.log_weight;
      if (rw !== undefined && rw !== null) {
        const { height, width } = cfg.data.image_resize_dims ?? {};
        if (!height || !width) errs.push(issue('data.image_resize_dims', 'supervised_reprojection_heatmap_mse needs image_resize_dims.height and .width'));
        else {
          const f = 2 ** cfg.data.downsample_factor;
          supervised.push({
            name: 'supervised_reprojection_heatmap_mse',
            path: 'losses.supervised_reprojection_heatmap_mse',
            params: { log_weight: rw, original_image_height: height, original_image_width: width, downsampled_image_height: Math.floor(height / f), downsampled_image_width: Math.floor(width / f) },
            composed: false,
          });
        }
      }
    }
  } else if (model_type === 'regression') {
    supervised.push({ name: 'regression', path: 'model.model_type', params: { log_weight: 0 }, composed: false });
  } else {
    errs.push(issue('model.model_type', `'${model_type}' is neither a heatmap model (heatmap, heatmap_mhcrnn, heatmap_multiview_...) nor 'regression'`));
  }
  const unsupervised: LossEntry[] = [];
  (cfg.model.losses_to_use ?? []).forEach((name, i) => {
    if (!known.includes(name)) return void errs.push(issue(`model.losses_to_use[${i}]`, `unknown loss '${name}'${suggestion(name, known)}`));
    const block = blocks[name];
    if (block === undefined) return void errs.push(issue(`losses.${name}`, `missing: model.losses_to_use selects '${name}', so losses needs a '${name}' block with its parameters`));
    const path = `losses.${name}`;
    const params = unsupervisedParams(cfg, name, block, path);
    if (either.isLeft(params)) return void errs.push(...params.left);
    // a composed loss that reads labels can ask for the supervised factory (labeled batches)
    const target = isComposed(block) && (block as { factory?: unknown }).factory === 'supervised' ? supervised : unsupervised;
    target.push({ name, path, params: params.right, composed: isComposed(block) });
  });
  return { wiring: { supervised, unsupervised }, issues: errs };
};

/** Keys of a PCA block that the reference takes from `data:` — written in the block they would be overwritten. */
const blockIssues = (name: string, block: Record<string, unknown>): PoselossIssue[] => {
  const out: PoselossIssue[] = [];
  for (const key of ['columns_for_singleview_pca', 'mirrored_column_matches'])
    if ((name === 'pca_singleview' || name === 'pca_multiview') && key in block)
      out.push(issue(`losses.${name}.${key}`, `set ${key} in data:, not in the loss block (the data section's value is the one used)`));
  if (name === 'pca_multiview') {
    const c = block.components_to_keep;
    if (c !== undefined && c !== null && c !== 3)
      out.push(issue(`losses.pca_multiview.components_to_keep`, `pca_multiview always keeps 3 components (as the reference); got ${JSON.stringify(c)}: remove it or set it to 3`));
  }
  return out;
};

/** A block no loss selects: its parameters (built-in) or its steps (composed) still decode. */
const unselectedIssues = (name: string, block: Record<string, unknown>): PoselossIssue[] => {
  const path = `losses.${name}`;
  if (!isComposed(block)) {
    const def = getLossDef(name);
    if (!def) return [];
    const d = def.params.decode(block);
    return either.isLeft(d) ? report(d.left, path) : [];
  }
  const pipeline = (block as { pipeline: unknown }).pipeline;
  if (!Array.isArray(pipeline)) return [issue(`${path}.pipeline`, 'expected a list of steps')];
  return pipeline.flatMap((spec, i) => {
    const at = `${path}.pipeline[${i}]`;
    const d = decodeStep(spec as Record<string, unknown>, at);
    return either.isLeft(d) ? d.left : [];
  });
};
