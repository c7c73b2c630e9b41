import { either } from 'fp-ts';
import { formatIssue } from '../config/issues.js';
import { decodeConfig } from '../config/lightningPose.js';
import { readYaml } from '../config/yaml.js';
import { checkInputFile } from '../io/output.js';
import { type CheckReport, checkConfig } from '../lp/check.js';
import type { Labels } from '../pipeline/step.js';
import { type ArgSpec, parseArgs, values } from './args.js';
import { loadCameras } from './cameras.js';
import { UserError } from './errors.js';
import { guardSync, type Out } from './guard.js';
import { loadLabels } from './labels.js';

export const CHECK_USAGE = `usage: poseloss check <config.yaml> [--labels CollectedData.csv]
  validates a Lightning Pose config's losses: exit 0 and the losses it would build, or every error and exit 2
  --labels L.csv   labeled keypoints (a pose CSV) to fit the PCA losses on`;

export const EXPLAIN_USAGE = `usage: poseloss explain <config.yaml> [--labels CollectedData.csv]
  each loss's resolved pipeline, the inputs it reads, its weight, its epsilon and, for PCA, the fitted state
  --labels L.csv   labeled keypoints (a pose CSV) to fit the PCA losses on`;

export const CHECK_ARGS: ArgSpec = { valued: ['labels'], positional: true, usage: CHECK_USAGE };
export const EXPLAIN_ARGS: ArgSpec = { ...CHECK_ARGS, usage: EXPLAIN_USAGE };

/** Read, decode and check a config (+ optional labels); print every issue with the file's name on `err`; null on failure. */
export const loadChecked = (argv: readonly string[], err: Out, usage: string): CheckReport | null => {
  const args = parseArgs(argv, { ...CHECK_ARGS, usage });
  const file = args.positional[0];
  if (!file || args.positional.length > 1) throw new UserError(file ? `give one config file, got ${args.positional.length}` : 'give the config file', usage);
  if (values(args, 'labels').length > 1) throw new UserError('give at most one --labels', usage);
  const raw = readYaml(file);
  if (either.isLeft(raw)) return (raw.left.forEach((i) => err(`error: ${formatIssue(i)}`)), null);
  let labels: Labels | undefined;
  const labelsFile = values(args, 'labels')[0];
  if (labelsFile) {
    checkInputFile(labelsFile, '--labels');
    const cfg = decodeConfig(raw.right);
    const l = loadLabels(labelsFile, either.isRight(cfg) ? cfg.right : undefined);
    if (either.isLeft(l)) return (err(`error: ${l.left}`), null);
    labels = l.right;
  }
  const cams = loadCameras(file, (raw.right as { data?: unknown } | null)?.data);
  if (either.isLeft(cams)) return (cams.left.forEach((i) => err(`error: ${file}: ${formatIssue(i)}`)), null);
  const r = checkConfig(raw.right, { labels, cameras: cams.right });
  if (either.isLeft(r)) {
    err(`${file}: ${r.left.length} error${r.left.length === 1 ? '' : 's'}`);
    r.left.forEach((i) => err(`error: ${formatIssue(i)}`));
    return null;
  }
  return r.right;
};

/** `poseloss check <config.yaml> [--labels L.csv]`: exit 0 and list the losses it would build, or print every error and exit 2. */
export const checkCommand = (argv: readonly string[], out: Out = console.log, err: Out = console.error): number =>
  guardSync(err, () => {
    const r = loadChecked(argv, err, CHECK_USAGE);
    if (!r) return 2;
    out(`ok: ${r.losses.length} loss${r.losses.length === 1 ? '' : 'es'}`);
    for (const l of r.losses)
      out(
        `  ${l.factory.padEnd(12)} ${l.record.name.padEnd(38)} log_weight ${l.logWeight}${l.annealed ? '' : ' (not annealed)'}${l.unfitted ? `  [${l.unfitted}]` : ''}`,
      );
    return 0;
  });
