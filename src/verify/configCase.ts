import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { formatIssues } from '../config/issues.js';
import { readYaml } from '../config/yaml.js';
import { checkConfig } from '../lp/check.js';
import { effectiveExpected, type GoldenCase } from './format.js';
import { checkLoss, fail, inputTensors, labelsOf, type Outcome, pass } from './lossCase.js';

/** The project root: config files named by cases are relative to it. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A `"loss": "config_file"` case: `params.config_file` (relative to the project root) is a
 * Lightning Pose–style config; the loss `params.loss_name` it selects is built from it as
 * `poseloss check` builds it, then called and compared like any loss case.
 */
export const runConfigFileCase = (c: GoldenCase): Outcome => {
  const p = c.params as { config_file?: unknown; loss_name?: unknown };
  if (typeof p.config_file !== 'string' || typeof p.loss_name !== 'string')
    return fail(`params: expected { config_file: string, loss_name: string }, got ${JSON.stringify(c.params)}`);
  const file = path.resolve(PROJECT_ROOT, p.config_file);
  if (path.isAbsolute(p.config_file) || path.relative(PROJECT_ROOT, file).startsWith('..'))
    return fail(`params.config_file: '${p.config_file}' is not inside the project (${PROJECT_ROOT})`);
  const raw = readYaml(file);
  if (either.isLeft(raw)) return fail(formatIssues(raw.left));
  const labels = labelsOf(c);
  const report = checkConfig(raw.right, { labels });
  if (either.isLeft(report)) return fail(`${p.config_file}: ${formatIssues(report.left)}`);
  const entry = report.right.losses.find((l) => l.record.name === p.loss_name);
  if (!entry) return fail(`${p.config_file} selects no loss '${p.loss_name}' (it selects ${report.right.losses.map((l) => l.record.name).join(', ')})`);
  if (!entry.loss) return fail(`${p.loss_name}: ${entry.unfitted ?? 'not built'}`);
  const inputs = inputTensors(c);
  try {
    const m = checkLoss(entry.loss, c, effectiveExpected(c) as Parameters<typeof checkLoss>[2], inputs);
    return m ? fail(m) : pass;
  } catch (e) {
    return fail(`threw ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(inputs));
  }
};
