import * as fs from 'node:fs';
import { either } from 'fp-ts';
import { formatIssue } from '../config/issues.js';
import { readCalibration } from '../io/calibration.js';
import type { PoseTable } from '../io/index.js';
import { checkInputFile, checkOutputDir, FileError, writeChunks, writeStaged } from '../io/output.js';
import { metricCsvChunks } from '../metrics/csv.js';
import { METRIC_FILES } from '../metrics/files.js';
import { DEFAULT_LIKELIHOOD_THRESHOLD, matchViews, multiviewMetrics, points3dCsv } from '../metrics/multiview.js';
import { fmt, renderReport } from '../report/html.js';
import { type ArgSpec, parseArgs, values } from './args.js';
import { nothingWritten, UserError } from './errors.js';
import { guard, type Out } from './guard.js';
import { readTable, summaryLines } from './metrics.js';

export const MULTIVIEW_USAGE = `usage: poseloss metrics --calibration calibration.toml --preds A.csv B.csv ... --out DIR [--views A,B,...] [--likelihood-threshold P]
  one predictions file per camera of the calibration (anipose calibration.toml); views are matched by
  the cameras' names in the file names, or in the order --views gives; keypoints by name.
  --likelihood-threshold P   predictions with likelihood < P count as missing (default ${DEFAULT_LIKELIHOOD_THRESHOLD}, anipose's)
  writes <stem>_reprojection_error.csv per view, multiview_points_3d.csv, multiview_temporal_norm_3d.csv, report.html`;

/** `--preds A.csv B.csv C.csv`: the files after --preds arrive as positionals. */
export const MULTIVIEW_ARGS: ArgSpec = { valued: ['calibration', 'preds', 'out', 'views', 'likelihood-threshold'], positional: true, usage: MULTIVIEW_USAGE };

/** `poseloss metrics` with `--calibration` is the multi-camera variant. */
export const isMultiview = (argv: readonly string[]): boolean => argv.some((a) => a === '--calibration' || a.startsWith('--calibration='));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.floor(s.length / 2)]) / 2;
};

/**
 * `poseloss metrics --calibration …`: triangulate synchronised per-view predictions with the
 * rig's calibration, and write per-view reprojection errors, the 3-D points and their temporal
 * norm. Everything is checked before anything is written; errors exit 2 and write nothing.
 */
export const metricsMultiviewCommand = (argv: readonly string[], out: Out = console.log, err: Out = console.error): Promise<number> =>
  guard(err, async () => {
    const args = parseArgs(argv, MULTIVIEW_ARGS);
    const calib = values(args, 'calibration');
    const preds = [...values(args, 'preds'), ...args.positional];
    const outDir = values(args, 'out');
    const views = values(args, 'views').length
      ? values(args, 'views')
          .flatMap((v) => v.split(','))
          .map((v) => v.trim())
          .filter(Boolean)
      : null;
    const thr = values(args, 'likelihood-threshold');
    const threshold = thr.length ? Number(thr[thr.length - 1]) : DEFAULT_LIKELIHOOD_THRESHOLD;
    const problems: string[] = [];
    if (calib.length !== 1) problems.push('give one --calibration');
    if (preds.length < 2) problems.push('--preds needs one predictions file per camera (at least 2)');
    if (outDir.length !== 1) problems.push(outDir.length ? 'give one --out' : '--out DIR is required');
    if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1)
      problems.push(`--likelihood-threshold: expected a number in [0, 1], got '${thr[thr.length - 1]}'`);
    if (problems.length) throw new UserError(problems.join('\n'), MULTIVIEW_USAGE);
    const dir = outDir[0];
    const fail = nothingWritten(err, dir);
    try {
      checkOutputDir(dir);
      checkInputFile(calib[0], '--calibration');
    } catch (e) {
      if (e instanceof FileError) return fail([e.message]);
      throw e;
    }
    const group = readCalibration(calib[0]);
    if (either.isLeft(group)) return fail(group.left.map(formatIssue));
    const tables: PoseTable[] = [];
    const errors: string[] = [];
    for (const f of preds) {
      try {
        const t = await readTable(f, '--preds', process.stderr.isTTY === true, err);
        if (either.isLeft(t)) errors.push(t.left);
        else tables.push(t.right);
      } catch (e) {
        if (e instanceof FileError) errors.push(e.message);
        else throw e;
      }
    }
    if (errors.length) return fail(errors);
    const ordered = matchViews(tables, group.right.cameras, views, calib[0]);
    if (either.isLeft(ordered)) return fail(ordered.left);
    const m = multiviewMetrics(ordered.right, group.right.cameras, threshold);
    if (either.isLeft(m)) return fail(m.left);
    if (new Set(m.right.views.map((v) => v.stem)).size !== m.right.views.length)
      return fail([`two predictions files have the same name; their <stem>_reprojection_error.csv would collide`]);

    const files = [...m.right.views, m.right.threeD];
    const written = writeStaged(dir, (stage) => {
      for (const f of files)
        for (const r of f.metrics) writeChunks(stage.file(f.stem + METRIC_FILES[r.name].suffix), metricCsvChunks(f.index, f.keypoints, r.values));
      fs.writeFileSync(stage.file('multiview_points_3d.csv'), points3dCsv(m.right));
      fs.writeFileSync(stage.file('report.html'), renderReport({ config: `calibration ${calib[0]} · likelihood ≥ ${threshold}`, labels: null, files }));
    });
    if (either.isLeft(written)) return fail([written.left]);
    for (const f of files) summaryLines(f).forEach((l) => out(l));
    const all = m.right.views.flatMap((v) => Array.from(v.metrics[0].values).filter((x) => x === x));
    out(`reprojection error, all views and keypoints: ${all.length} values${all.length ? `, median ${fmt(median(all))} px` : ''}`);
    out(`wrote ${written.right.join(', ')}`);
    return 0;
  });
