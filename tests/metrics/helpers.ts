import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { metricsCommand } from '../../src/cli/metrics.js';
import { SHARED } from '../shared.js';

export const DATA = path.join(SHARED, 'data');
export const PREDS = path.join(DATA, 'predictions');
export const hasData = fs.existsSync(path.join(PREDS, 'reference', 'reference.json'));

/** Say visibly why a suite that needs ../shared/data is skipped. */
export const warnIfNoData = (suite: string): void => {
  if (!hasData) console.warn(`SKIP ${suite}: ${PREDS} is absent (real prediction files and reference outputs live there; CI has them)`);
};

const made: string[] = [];
// each test file runs in its own process: its temporary folders go when it exits
process.once('exit', () => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
export const tmpDir = (tag: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `poseloss-metrics-${tag}-`));
  made.push(d);
  return d;
};

/** A temporary folder holding `files` (name → text); `p(name)` is a path in it, `out` its (absent) output folder. */
export const withFiles = (tag: string, files: Record<string, string>) => {
  const dir = tmpDir(tag);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const p = (name: string) => path.join(dir, name);
  return { dir, p, out: p('out') };
};

export interface Run {
  code: number;
  out: string[];
  err: string[];
}

/** `poseloss metrics ...` in process, stdout and stderr lines captured. */
export const runMetrics = async (...argv: string[]): Promise<Run> => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await metricsCommand(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out, err };
};

/** A metric CSV as written by the reference: header cells and rows of [index, ...values] (empty = NaN). */
export const readMetricCsv = (file: string): { header: string[]; index: string[]; values: number[][] } => {
  const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const rows = lines.slice(1).map((l) => l.split(','));
  return {
    header: lines[0].split(','),
    index: rows.map((r) => r[0]),
    values: rows.map((r) => r.slice(1).map((c) => (c === '' ? NaN : Number(c)))),
  };
};

/** A pose CSV (3 header rows) from keypoint names and rows of [index, ...cells]. */
export const poseCsv = (keypoints: string[], rows: (string | number)[][], opts: { likelihood?: boolean; set?: string[] } = {}): string => {
  const coords = opts.likelihood === false ? ['x', 'y'] : ['x', 'y', 'likelihood'];
  const head = [
    ['scorer', ...keypoints.flatMap(() => coords.map(() => 'test')), ...(opts.set ? ['set'] : [])],
    ['bodyparts', ...keypoints.flatMap((k) => coords.map(() => k)), ...(opts.set ? [''] : [])],
    ['coords', ...keypoints.flatMap(() => coords), ...(opts.set ? [''] : [])],
  ];
  const body = rows.map((r, i) => [...r, ...(opts.set ? [opts.set[i]] : [])]);
  return [...head, ...body].map((r) => r.join(',')).join('\n') + '\n';
};

/** Two keypoints' labels at two frames (img0.png, img1.png), and predictions of two labeled frames at the given indices and splits. */
export const LABELED_KP = ['nose', 'ear'];
export const twoLabels = (): string =>
  poseCsv(
    LABELED_KP,
    [
      ['img0.png', 1, 2, 3, 4],
      ['img1.png', 1, 2, 3, 4],
    ],
    { likelihood: false },
  );
export const twoLabeledPreds = (index: [string, string], set: [string, string]): string =>
  poseCsv(
    LABELED_KP,
    index.map((i) => [i, 1, 2, 0.9, 3, 4, 0.9]),
    { set },
  );
