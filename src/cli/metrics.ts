import * as fs from 'node:fs';
import * as path from 'node:path';
import cliProgress from 'cli-progress';
import { either } from 'fp-ts';
import { formatIssue } from '../config/issues.js';
import { decodeConfig } from '../config/lightningPose.js';
import { MAX_YAML_BYTES, readYaml } from '../config/yaml.js';
import type { PoseTable } from '../io/index.js';
import { checkInputFile, checkOutputDir, FileError, writeChunks, writeStaged } from '../io/output.js';
import { type ProgressFn, readPoseCsvStream } from '../io/poseCsvStream.js';
import { periodic } from '../io/progress.js';
import { metricCsvChunks } from '../metrics/csv.js';
import { computeFileMetrics, type FileMetrics, METRIC_FILES, setupMetrics } from '../metrics/files.js';
import { fmt, renderReport } from '../report/html.js';
import { type ArgSpec, parseArgs, values } from './args.js';
import { nothingWritten, UserError } from './errors.js';
import { guard, type Out } from './guard.js';

export const METRICS_USAGE = `usage: poseloss metrics --config C.yaml [--labels CollectedData.csv] --preds P.csv [--preds P2.csv ...] --out DIR
  the reference's metric CSVs per predictions file, a summary table on stdout and DIR/report.html
  --config C.yaml   the Lightning Pose config (data.keypoint_names, PCA columns, loss epsilons)
  --labels L.csv    labeled frames: needed for pixel error and to fit the PCA metrics
  --preds P.csv     a predictions file (video, or labeled frames with a set column); repeat for several
  --out DIR         where the outputs go; all of them are written, or none`;

export const METRICS_ARGS: ArgSpec = { valued: ['config', 'labels', 'preds', 'out'], usage: METRICS_USAGE };

/** A progress bar on a terminal, shown only once a file has taken more than `afterMs`. */
export const progressFor = (label: string, enabled: boolean, afterMs = 1000): { onProgress: ProgressFn; stop: () => void } => {
  const t0 = Date.now();
  let bar: cliProgress.SingleBar | null = null;
  return {
    onProgress: (bytes, total) => {
      if (!enabled || total <= 0) return;
      if (!bar) {
        if (Date.now() - t0 < afterMs) return;
        bar = new cliProgress.SingleBar(
          {
            format: `${label} [{bar}] {percentage}% | {value}/{total} MB | {eta}s left`,
            stream: process.stderr,
            hideCursor: true,
            clearOnComplete: true,
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.ceil(total / 1e6), 0);
      }
      bar.update(Math.floor(bytes / 1e6));
    },
    stop: () => bar?.stop(),
  };
};

export const readTable = async (file: string, what: string, showProgress: boolean, err: Out): Promise<either.Either<string, PoseTable>> => {
  checkInputFile(file, what);
  const p = progressFor(`reading ${path.basename(file)}`, showProgress);
  const lines = showProgress ? null : periodic(err);
  try {
    return await readPoseCsvStream(file, {
      onProgress: (bytes, total) => {
        p.onProgress(bytes, total);
        lines?.tick(() => `reading ${file}: ${Math.round(bytes / 1e6)} of ${Math.round(total / 1e6)} MB`);
      },
    });
  } finally {
    p.stop();
  }
};

const pad = (s: string, n: number, left = false): string => (left ? s.padEnd(n) : s.padStart(n));

/** The summary printed on stdout: per file and metric, one row per keypoint. */
export const summaryLines = (f: FileMetrics): string[] => {
  const lines = [`${f.file}: ${f.index.length} frames, ${f.keypoints.length} keypoints (${f.kind === 'video' ? 'video' : 'labeled frames'})`];
  const w = Math.max(8, ...f.keypoints.map((k) => k.length));
  for (const m of f.metrics) {
    lines.push(`  ${m.name} (${METRIC_FILES[m.name].unit ?? 'px'})${m.epsilonSource ? `  ε: ${m.epsilonSource}` : ''}`);
    lines.push(`    ${pad('keypoint', w, true)} ${pad('median', 9)} ${pad('p95', 9)} ${pad('max', 9)} ${pad('ε', 9)} ${pad('> ε', 8)}`);
    const empty = f.keypoints.filter((_, k) => m.stats[k].frames === 0);
    m.stats.forEach((s, k) => {
      if (s.frames === 0) return;
      const over = s.overEpsilon === null ? '–' : `${(100 * s.overEpsilon).toFixed(1)}%`;
      lines.push(
        `    ${pad(f.keypoints[k], w, true)} ${pad(fmt(s.median), 9)} ${pad(fmt(s.p95), 9)} ${pad(fmt(s.max), 9)} ${pad(fmt(s.epsilon), 9)} ${pad(over, 8)}`,
      );
    });
    if (empty.length) lines.push(`    no value (not used by this metric, or NaN in every frame): ${empty.join(', ')}`);
  }
  return lines;
};

/**
 * `poseloss metrics --config C.yaml [--labels L.csv] --preds P.csv [...] --out DIR`: for each
 * predictions file, the reference's metric CSVs (`<stem>_temporal_norm.csv` for videos,
 * `<stem>_pixel_error.csv` for labeled frames, `<stem>_pca_singleview_error.csv` /
 * `<stem>_pca_multiview_error.csv` when the config asks for PCA), a summary table on stdout and
 * `DIR/report.html`. Every file is checked before anything is written: on any error, nothing
 * is written, every error is printed and the exit code is 2.
 */
export const metricsCommand = (argv: readonly string[], out: Out = console.log, err: Out = console.error): Promise<number> =>
  guard(err, async () => {
    const args = parseArgs(argv, METRICS_ARGS);
    const problems: string[] = [];
    const config = values(args, 'config');
    const labelsFiles = values(args, 'labels');
    const preds = values(args, 'preds');
    const outDir = values(args, 'out');
    if (config.length !== 1) problems.push(config.length ? 'give one --config' : '--config C.yaml is required');
    if (labelsFiles.length > 1) problems.push('give at most one --labels');
    if (preds.length === 0) problems.push('--preds P.csv is required (repeat it for several files)');
    if (outDir.length !== 1) problems.push(outDir.length ? 'give one --out' : '--out DIR is required');
    if (problems.length) throw new UserError(problems.join('\n'), METRICS_USAGE);
    const dir = outDir[0];
    const fail = nothingWritten(err, dir);
    try {
      checkOutputDir(dir);
      checkInputFile(config[0], '--config', MAX_YAML_BYTES);
    } catch (e) {
      if (e instanceof FileError) return fail([e.message]);
      throw e;
    }

    const raw = readYaml(config[0]);
    if (either.isLeft(raw)) return fail(raw.left.map(formatIssue));
    const cfg = decodeConfig(raw.right);
    if (either.isLeft(cfg)) return fail(cfg.left.map((i) => `${config[0]}: ${formatIssue(i)}`));
    const tty = process.stderr.isTTY === true;
    const read = async (file: string, what: string): Promise<either.Either<string, PoseTable>> => {
      try {
        return await readTable(file, what, tty, err);
      } catch (e) {
        if (e instanceof FileError) return either.left(e.message);
        throw e;
      }
    };

    let labels: PoseTable | null = null;
    if (labelsFiles[0]) {
      const l = await read(labelsFiles[0], '--labels');
      if (either.isLeft(l)) return fail([l.left]);
      labels = l.right;
    }
    const setup = setupMetrics(cfg.right, labels);
    if (either.isLeft(setup)) return fail(setup.left.map((e) => `${config[0]}: ${e}`));

    const results: FileMetrics[] = [];
    const errors: string[] = [];
    for (const file of preds) {
      const t = await read(file, '--preds');
      if (either.isLeft(t)) {
        errors.push(t.left);
        continue;
      }
      const m = computeFileMetrics(setup.right, t.right);
      if (either.isLeft(m)) errors.push(m.left);
      else results.push(m.right);
    }
    const byStem = new Map<string, string>();
    for (const r of results) {
      const other = byStem.get(r.stem);
      if (other !== undefined)
        errors.push(`${r.file}: its outputs (${r.stem}_*.csv) would overwrite those of ${other}, which has the same file name; rename one of them`);
      byStem.set(r.stem, r.file);
    }
    if (errors.length) return fail(errors);
    for (const r of results) r.warnings.forEach((w) => err(`warning: ${w}`));

    // every output staged, then moved into place together (or nothing is, also on SIGINT/SIGTERM)
    const written = writeStaged(dir, (stage) => {
      for (const r of results)
        for (const m of r.metrics) writeChunks(stage.file(r.stem + METRIC_FILES[m.name].suffix), metricCsvChunks(r.index, r.keypoints, m.values, r.set));
      fs.writeFileSync(stage.file('report.html'), renderReport({ config: config[0], labels: labelsFiles[0] ?? null, files: results }));
    });
    if (either.isLeft(written)) return fail([written.left]);
    for (const r of results) summaryLines(r).forEach((l) => out(l));
    out(`wrote ${written.right.join(', ')}`);
    return 0;
  });
