import * as path from 'node:path';
import { either } from 'fp-ts';
import { readCalibration } from '../io/calibration.js';
import { formatIssue } from '../config/issues.js';
import type { PoseTable } from '../io/index.js';
import { DEFAULT_LIKELIHOOD_THRESHOLD, matchViews, multiviewMetrics, points3dCsv } from '../metrics/multiview.js';
import { METRIC_FILES } from '../metrics/files.js';
import { metricCsv } from '../metrics/csv.js';
import { renderReport } from '../report/html.js';
import { fmt } from '../report/html.js';
import { parseArgs } from './args.js';
import { readTable, summaryLines, writeAll } from './metrics.js';

type Out = (line: string) => void;

export const MULTIVIEW_USAGE = `usage: poseloss metrics --calibration calibration.toml --preds A.csv B.csv ... --out DIR [--views A,B,...] [--likelihood-threshold P]
  one predictions file per camera of the calibration (anipose calibration.toml); views are matched by
  the cameras' names in the file names, or in the order --views gives; keypoints by name.
  --likelihood-threshold P   predictions with likelihood < P count as missing (default ${DEFAULT_LIKELIHOOD_THRESHOLD}, anipose's)
  writes <stem>_reprojection_error.csv per view, multiview_points_3d.csv, multiview_temporal_norm_3d.csv, report.html`;

/** `poseloss metrics` with `--calibration` is the multi-camera variant. */
export const isMultiview = (argv: readonly string[]): boolean => argv.some((a) => a === '--calibration' || a.startsWith('--calibration='));

/**
 * `poseloss metrics --calibration …`: triangulate synchronised per-view predictions with the
 * rig's calibration, and write per-view reprojection errors, the 3-D points and their temporal
 * norm. Everything is checked before anything is written; errors exit 2 and write nothing.
 */
export const metricsMultiviewCommand = async (argv: readonly string[], out: Out = console.log, err: Out = console.error): Promise<number> => {
  let args;
  try {
    args = parseArgs(argv, ['calibration', 'preds', 'out', 'views', 'likelihood-threshold']);
  } catch (e) {
    err(`error: ${(e as Error).message}\n${MULTIVIEW_USAGE}`);
    return 2;
  }
  const problems: string[] = [];
  const calib = args.options.calibration ?? [];
  // `--preds A.csv B.csv C.csv`: the files after --preds arrive as positionals
  const preds = [...(args.options.preds ?? []), ...args.positional];
  const outDir = args.options.out ?? [];
  const views = args.options.views ? args.options.views.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean) : null;
  const thr = args.options['likelihood-threshold'] ?? [];
  const threshold = thr.length ? Number(thr[thr.length - 1]) : DEFAULT_LIKELIHOOD_THRESHOLD;
  if (calib.length !== 1) problems.push('give one --calibration');
  if (preds.length < 2) problems.push('--preds needs one predictions file per camera (at least 2)');
  if (outDir.length !== 1) problems.push(outDir.length ? 'give one --out' : '--out DIR is required');
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) problems.push(`--likelihood-threshold: expected a number in [0, 1], got '${thr[thr.length - 1]}'`);
  if (args.flags.size) problems.push(`unknown option(s): ${[...args.flags].map((f) => `--${f}`).join(' ')}`);
  if (problems.length) {
    problems.forEach((p) => err(`error: ${p}`));
    err(MULTIVIEW_USAGE);
    return 2;
  }
  const dir = outDir[0];
  const fail = (errors: readonly string[]): number => {
    errors.forEach((e) => err(`error: ${e}`));
    err(`nothing written to ${dir}`);
    return 2;
  };
  const group = readCalibration(calib[0]);
  if (either.isLeft(group)) return fail(group.left.map(formatIssue));
  const tables: PoseTable[] = [];
  const errors: string[] = [];
  for (const f of preds) {
    const t = await readTable(f, process.stderr.isTTY === true);
    if (either.isLeft(t)) errors.push(t.left);
    else tables.push(t.right);
  }
  if (errors.length) return fail(errors);
  const ordered = matchViews(tables, group.right.cameras, views, calib[0]);
  if (either.isLeft(ordered)) return fail(ordered.left);
  const m = multiviewMetrics(ordered.right, group.right.cameras, threshold);
  if (either.isLeft(m)) return fail(m.left);
  const stems = new Set(m.right.views.map((v) => v.stem));
  if (stems.size !== m.right.views.length) return fail([`two predictions files have the same name; their <stem>_reprojection_error.csv would collide`]);

  const outputs = new Map<string, string>();
  for (const f of [...m.right.views, m.right.threeD]) for (const r of f.metrics) outputs.set(f.stem + METRIC_FILES[r.name].suffix, metricCsv(f.index, f.keypoints, r.values));
  outputs.set('multiview_points_3d.csv', points3dCsv(m.right));
  outputs.set('report.html', renderReport({ config: `calibration ${calib[0]} · likelihood ≥ ${threshold}`, labels: null, files: [...m.right.views, m.right.threeD] }));
  try {
    writeAll(dir, outputs);
  } catch (e) {
    return fail([`cannot write to ${dir}: ${(e as Error).message}`]);
  }
  for (const f of [...m.right.views, m.right.threeD]) summaryLines(f).forEach((l) => out(l));
  const all = m.right.views.flatMap((v) => Array.from(v.metrics[0].values).filter((x) => x === x));
  out(`reprojection error, all views and keypoints: ${all.length} values${all.length ? `, median ${fmt(median(all))} px` : ''}`);
  out(`wrote ${[...outputs.keys()].map((n) => path.join(dir, n)).join(', ')}`);
  return 0;
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.floor(s.length / 2)]) / 2;
};
