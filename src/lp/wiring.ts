import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { suggestion } from '../config/closest.js';
import { issue, type PoselossIssue } from '../config/issues.js';
import type { LpConfig } from '../config/lightningPose.js';
import type { LossDef } from '../losses/define.js';
import { composedRecord, declaredRecord, type LossRecord } from '../losses/record.js';
import { getLossDef, lossNames } from '../losses/registry.js';
import { decodeStep } from '../steps/registry.js';

/** A selected loss: its record, or the issues that kept it from one (kept in place, so issues come in the factories' order). */
export type Wired = Either<PoselossIssue[], LossRecord>;

export interface Wiring {
  readonly supervised: readonly Wired[];
  readonly unsupervised: readonly Wired[];
}

/** A block that writes its own pipeline is a loss composed in the config. */
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
      if (views <= 1)
        out.push(
          issue(
            'data.mirrored_column_matches',
            'a flat list of indices needs data.view_names with 2 or more views; for a mirrored setup give one list per view',
          ),
        );
      m.forEach((c, i) => range(`data.mirrored_column_matches[${i}]`, c));
    } else {
      const lists = m as number[][];
      lists.forEach((l, v) => {
        if (l.length !== lists[0].length)
          out.push(
            issue(
              `data.mirrored_column_matches[${v}]`,
              `lists ${l.length} keypoints, but view 0 lists ${lists[0].length}: every view matches the same keypoints`,
            ),
          );
        l.forEach((c, j) => range(`data.mirrored_column_matches[${v}][${j}]`, c));
      });
    }
  }
  return out;
};

/** Keys a block writes that the config takes from `data:`, and the declaration's own rules on its block. */
const blockIssues = (def: LossDef, block: Record<string, unknown>, path: string): PoselossIssue[] => [
  ...Object.entries(def.fromData?.replace ? def.fromData.keys : {})
    .filter(([k]) => k in block)
    .map(([k, source]) => issue(`${path}.${k}`, `set ${source} in data:, not in the loss block (the data section's value is the one used)`)),
  ...(def.checkBlock?.(block, path) ?? []),
];

/** The record of a selected loss block: composed (it has `pipeline:`), or a registered loss's parameters with what its declaration takes from `data:`. */
const recordFor = (cfg: LpConfig, name: string, block: Record<string, unknown>, path: string): Either<PoselossIssue[], LossRecord> => {
  if (isComposed(block)) return composedRecord(name, block, path);
  const def = getLossDef(name);
  if (!def) return either.left([issue(path, `unknown loss '${name}'${suggestion(name, lossNames())}`)]);
  const data = fromData(cfg, def, block, path);
  if (either.isLeft(data)) return data;
  return declaredRecord(def, def.fromData?.replace ? { ...block, ...data.right } : { ...data.right, ...block }, path);
};

/** What a declaration takes from `data:` for this block: everything it supplies (replace), or what the block leaves out. */
const fromData = (cfg: LpConfig, def: LossDef, block: Record<string, unknown>, path: string): Either<PoselossIssue[], Record<string, unknown>> => {
  const f = def.fromData;
  if (!f || (!f.replace && Object.keys(f.keys).every((k) => k in block))) return either.right({});
  return f.read(cfg.data, path);
};

/**
 * A declared loss's block nothing selects, checked as data: what `data:` would supply is not
 * required of it, and a null value is one not given (the reference's `log_weight: null` turns a
 * multiview supervised loss off).
 */
const unselectedDeclaredIssues = (cfg: LpConfig, def: LossDef, written: Record<string, unknown>, path: string): PoselossIssue[] => {
  const block = Object.fromEntries(Object.entries(written).filter(([, v]) => v !== null));
  const data = fromData(cfg, def, block, path);
  const supplied = either.isRight(data) ? data.right : {};
  const r = declaredRecord(def, def.fromData?.replace ? { ...block, ...supplied } : { ...supplied, ...block }, path);
  const fromDataPaths = Object.keys(def.fromData?.keys ?? {}).map((k) => `${path}.${k}`);
  return either.isLeft(r) ? r.left.filter((i) => either.isRight(data) || !fromDataPaths.includes(i.path)) : [];
};

/** A block no loss selects: its parameters (declared) or its steps (composed) still decode. */
const unselectedIssues = (cfg: LpConfig, name: string, block: Record<string, unknown>): PoselossIssue[] => {
  const path = `losses.${name}`;
  if (!isComposed(block)) {
    const def = getLossDef(name);
    return def ? unselectedDeclaredIssues(cfg, def, block, path) : [];
  }
  const pipeline = (block as { pipeline: unknown }).pipeline;
  if (!Array.isArray(pipeline)) return [issue(`${path}.pipeline`, 'expected a list of steps')];
  return pipeline.flatMap((spec, i) => {
    const d = decodeStep(spec as Record<string, unknown>, `${path}.pipeline[${i}]`);
    return either.isLeft(d) ? d.left : [];
  });
};

/** Supervised losses the reference adds for multiview heatmap models with camera parameters, each iff its block gives a log_weight (spec §10). */
const MULTIVIEW_SUPERVISED = ['supervised_pairwise_projections', 'supervised_reprojection_heatmap_mse'] as const;

/**
 * Which losses a config selects, as records, wired as the reference's `get_loss_factories`
 * (spec §10): the supervised heatmap or regression loss from the model type, the multiview
 * supervised losses when configured, the losses of `model.losses_to_use` (each in the factory
 * its declaration or block names). Every loss block is checked, selected or not; all issues at once.
 */
export const wireLosses = (cfg: LpConfig): { wiring: Wiring; issues: PoselossIssue[] } => {
  const errs: PoselossIssue[] = [...dataIssues(cfg)];
  const blocks = cfg.losses as Record<string, Record<string, unknown>>;
  const known = [...lossNames(), ...Object.keys(blocks).filter((n) => isComposed(blocks[n]))];
  const supervisedNames: string[] = [];
  const { model_type, heatmap_loss_type } = cfg.model;
  if (model_type.includes('heatmap')) {
    supervisedNames.push(`heatmap_${heatmap_loss_type}`);
    if (model_type.includes('multiview') && cfg.data.camera_params_file)
      for (const name of MULTIVIEW_SUPERVISED) if (blocks[name]?.log_weight !== undefined && blocks[name]?.log_weight !== null) supervisedNames.push(name);
  } else if (model_type === 'regression') supervisedNames.push('regression');
  const selected = new Set([...(cfg.model.losses_to_use ?? []), ...supervisedNames.slice(1)]);
  for (const [name, block] of Object.entries(blocks)) {
    const def = isComposed(block) ? undefined : getLossDef(name);
    if (!isComposed(block) && !def)
      errs.push(issue(`losses.${name}`, `unknown loss '${name}'${suggestion(name, lossNames())}; a loss of your own needs a pipeline: list`));
    errs.push(...epsilonIssues(name, block, cfg.data.num_keypoints), ...(def ? blockIssues(def, block, `losses.${name}`) : []));
    // a selected loss is checked when its record is made; an unselected block is checked here, as data
    if (!selected.has(name)) errs.push(...unselectedIssues(cfg, name, block));
  }
  if (!model_type.includes('heatmap') && model_type !== 'regression')
    errs.push(issue('model.model_type', `'${model_type}' is neither a heatmap model (heatmap, heatmap_mhcrnn, heatmap_multiview_...) nor 'regression'`));
  const supervised: Wired[] = [];
  const unsupervised: Wired[] = [];
  const add = (r: Wired, to?: Wired[]) => (to ?? (either.isRight(r) && r.right.factory === 'supervised' ? supervised : unsupervised)).push(r);
  supervisedNames.forEach((name, i) =>
    add(
      i === 0
        ? recordFor(cfg, name, { log_weight: 0 }, model_type === 'regression' ? 'model.model_type' : 'model.heatmap_loss_type')
        : recordFor(cfg, name, blocks[name], `losses.${name}`),
      supervised,
    ),
  );
  const first = new Map<string, number>();
  (cfg.model.losses_to_use ?? []).forEach((name, i) => {
    // the reference builds a dict of losses: a repeat would count once there and once per repeat here, so it is an error
    if (first.has(name))
      return void errs.push(
        issue(`model.losses_to_use[${i}]`, `'${name}' is listed again (first at [${first.get(name)}]): each loss counts once; remove the repeat`),
      );
    first.set(name, i);
    if (!known.includes(name)) return void errs.push(issue(`model.losses_to_use[${i}]`, `unknown loss '${name}'${suggestion(name, known)}`));
    const block = blocks[name];
    if (block === undefined)
      return void errs.push(issue(`losses.${name}`, `missing: model.losses_to_use selects '${name}', so losses needs a '${name}' block with its parameters`));
    add(recordFor(cfg, name, block, `losses.${name}`));
  });
  return { wiring: { supervised, unsupervised }, issues: errs };
};
