import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import type { PoselossIssue } from '../config/issues.js';
import type { Loss } from '../pipeline/loss.js';
import type { Labels } from '../pipeline/step.js';
import { report } from '../config/reporter.js';
import { decodeConfig, type LpConfig } from '../config/lightningPose.js';
import { getLossDef } from '../losses/registry.js';
import { wireLosses, type LossEntry } from './wiring.js';
import { buildEntry, DEFAULT_ANNEAL_EXEMPT } from './factory.js';

/** One loss as `check`/`explain` see it: built, or (fitted losses without labels) parameters checked only. */
export interface CheckedLoss {
  readonly factory: 'supervised' | 'unsupervised';
  readonly entry: LossEntry;
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
 * Check a config without training anything: decode, wire, build every selected loss; a loss
 * fitted from data (PCA) is built when labels are given, else only its parameters are
 * checked. Every issue is reported, not just the first.
 */
export const checkConfig = (raw: unknown, opts: { labels?: Labels; annealExempt?: readonly string[] } = {}): Either<PoselossIssue[], CheckReport> => {
  const cfg = decodeConfig(raw);
  if (either.isLeft(cfg)) return cfg;
  const { wiring, issues } = wireLosses(cfg.right);
  const errs: PoselossIssue[] = [...issues];
  const losses: CheckedLoss[] = [];
  const exempt = opts.annealExempt ?? DEFAULT_ANNEAL_EXEMPT;
  for (const factory of ['supervised', 'unsupervised'] as const)
    for (const entry of wiring[factory]) {
      const def = entry.composed ? undefined : getLossDef(entry.name);
      if (def?.needsLabels && !opts.labels) {
        const p = def.params.decode(entry.params);
        if (either.isLeft(p)) errs.push(...report(p.left, entry.path));
        else losses.push({ factory, entry, logWeight: p.right.log_weight, annealed: !exempt.includes(entry.name), unfitted: 'fitted from labels: pass --labels to fit it' });
        continue;
      }
      const m = buildEntry(entry, { labels: opts.labels, annealExempt: exempt });
      if (either.isLeft(m)) errs.push(...m.left);
      else losses.push({ factory, entry, loss: m.right.loss, logWeight: m.right.loss.logWeight, annealed: m.right.annealed });
    }
  return errs.length ? either.left(errs) : either.right({ config: cfg.right, losses });
};
