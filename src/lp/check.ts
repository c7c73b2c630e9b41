import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import type { Camera } from '../config/calibration.js';
import type { PoselossIssue } from '../config/issues.js';
import { decodeConfig, type LpConfig } from '../config/lightningPose.js';
import type { LossRecord } from '../losses/record.js';
import type { Loss } from '../pipeline/loss.js';
import type { Labels } from '../pipeline/step.js';
import { buildMember } from './factory.js';
import { wireLosses } from './wiring.js';

/** One loss as `check`/`explain` see it: built, or (fitted losses without labels) parameters checked only. */
export interface CheckedLoss {
  readonly factory: 'supervised' | 'unsupervised';
  readonly record: LossRecord;
  readonly loss?: Loss;
  readonly logWeight: number;
  readonly annealed: boolean;
  /** Why it was not built (needs labels). */
  readonly unfitted?: string;
}

export interface CheckReport {
  readonly config: LpConfig;
  readonly losses: readonly CheckedLoss[];
}

/**
 * Check a config without training anything: a dry run of the factories' build — decode, wire,
 * build every selected loss's record; a loss fitted from data (PCA) is built when labels are
 * given, else only its parameters are checked. Every issue is reported, not just the first.
 */
export const checkConfig = (
  raw: unknown,
  opts: { labels?: Labels; cameras?: readonly Camera[]; annealExempt?: readonly string[] } = {},
): Either<PoselossIssue[], CheckReport> => {
  const cfg = decodeConfig(raw);
  if (either.isLeft(cfg)) return cfg;
  const { wiring, issues } = wireLosses(cfg.right);
  const errs: PoselossIssue[] = [...issues];
  const losses: CheckedLoss[] = [];
  for (const factory of ['supervised', 'unsupervised'] as const)
    for (const wired of wiring[factory]) {
      if (either.isLeft(wired)) {
        errs.push(...wired.left);
        continue;
      }
      const record = wired.right;
      const annealed = record.annealed && !(opts.annealExempt ?? []).includes(record.name);
      if (record.needsLabels && !opts.labels) {
        losses.push({ factory, record, logWeight: record.logWeight, annealed, unfitted: 'fitted from labels: pass --labels to fit it' });
        continue;
      }
      const m = buildMember(record, opts);
      if (either.isLeft(m)) errs.push(...m.left);
      else losses.push({ factory, record, loss: m.right.loss, logWeight: record.logWeight, annealed: m.right.annealed });
    }
  return errs.length ? either.left(errs) : either.right({ config: cfg.right, losses });
};
