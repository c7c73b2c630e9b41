import { either } from 'fp-ts';
import { readYaml } from '../config/yaml.js';
import { decodeConfig } from '../config/lightningPose.js';
import { formatIssue } from '../config/issues.js';
import type { Labels } from '../pipeline/step.js';
import { checkConfig, type CheckReport } from '../lp/check.js';
import { loadLabels } from './labels.js';
import { parseArgs } from './args.js';
import { loadCameras } from './cameras.js';

type Out = (line: string) => void;

/** Read, decode and check a config (+ optional labels); print every issue with the file's name; null on failure. */
export const loadChecked = (argv: readonly string[], out: Out, usage: string): CheckReport | null => {
  const args = parseArgs(argv, ['labels']);
  const file = args.positional[0];
  if (!file || args.positional.length > 1) {
    out(usage);
    return null;
  }
  const raw = readYaml(file);
  if (either.isLeft(raw)) return raw.left.forEach((i) => out(`error: ${formatIssue(i)}`)), null;
  let labels: Labels | undefined;
  const labelsFile = args.options.labels?.[0];
  if (labelsFile) {
    const cfg = decodeConfig(raw.right);
    const l = loadLabels(labelsFile, either.isRight(cfg) ? cfg.right : undefined);
    if (either.isLeft(l)) return out(`error: ${l.left}`), null;
    labels = l.right;
  }
  const cams = loadCameras(file, (raw.right as { data?: unknown } | null)?.data);
  if (either.isLeft(cams)) return cams.left.forEach((i) => out(`error: ${file}: ${formatIssue(i)}`)), null;
  const r = checkConfig(raw.right, { labels, cameras: cams.right });
  if (either.isLeft(r)) {
    out(`${file}: ${r.left.length} error${r.left.length === 1 ? '' : 's'}`);
    r.left.forEach((i) => out(`error: ${formatIssue(i)}`));
    return null;
  }
  return r.right;
};

/** `poseloss check <config.yaml> [--labels L.csv]`: exit 0 and list the losses it would build, or print every error and exit 2. */
export const checkCommand = (argv: readonly string[], out: Out = console.log): number => {
  const r = loadChecked(argv, out, 'usage: poseloss check <config.yaml> [--labels CollectedData.csv]');
  if (!r) return 2;
  out(`ok: ${r.losses.length} loss${r.losses.length === 1 ? '' : 'es'}`);
  for (const l of r.losses)
    out(`  ${l.factory.padEnd(12)} ${l.record.name.padEnd(38)} log_weight ${l.logWeight}${l.annealed ? '' : ' (not annealed)'}${l.unfitted ? `  [${l.unfitted}]` : ''}`);
  return 0;
};
