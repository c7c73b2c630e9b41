import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import type { Matrix64 } from '../pca/types.js';
import { readHeader } from './header.js';
import { badCellMessage, binaryLine, parseNumberCell } from './numberCell.js';

/** A pose file (labels or predictions) as a table of frames × keypoints. */
export interface PoseTable {
  /** The file it was read from (as given), for messages. */
  file: string;
  /** One entry per frame: the index column (image path or frame number), DeepLabCut's split index columns joined with "/". */
  index: string[];
  keypoints: string[];
  /** (frames, 2K): x0, y0, x1, y1, …; NaN = unlabelled. */
  xy: Matrix64;
  /** (frames, K), NaN where absent; null when the file has no likelihood column. */
  likelihood: Matrix64 | null;
  /** Whether the last column is a `set` column (predictions of labelled frames). */
  hasSetColumn: boolean;
  /** Coords other than x / y / likelihood found in the header (e.g. `visible`); their columns are skipped. */
  extraCoords: string[];
  /** The `set` column's values (train / val / test / …) when `hasSetColumn`. */
  set?: string[];
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Parses a pose CSV in the DeepLabCut / Lightning Pose layout: header rows scorer, bodyparts,
 * coords (x, y, likelihood; other coords are recorded in `extraCoords` and skipped); the first
 * column is the index; an empty or `nan` cell is NaN; a last column whose first header level is
 * `set` is detected. `file` names the source in messages.
 */
export function parsePoseCsv(text: string, file: string): Either<string, PoseTable> {
  const binary = binaryLine(text);
  if (binary) return either.left(`${file}, line ${binary}: binary content (a NUL byte or invalid UTF-8); a pose file is a CSV text file`);
  let records: CsvRecord[];
  try {
    records = parse(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as CsvRecord[];
  } catch (e) {
    return either.left(`${file}: not a readable CSV file: ${(e as Error).message}`);
  }
  if (records.length < 3) {
    return either.left(`${file}: expected three header rows (scorer, bodyparts, coords) but the file has only ${records.length} non-empty line(s)`);
  }
  const head = records.slice(0, 3);
  const layout = readHeader(
    head.map((r) => r.record),
    head.map((r) => r.info.lines),
    file,
  );
  if (either.isLeft(layout)) return layout;
  const h = layout.right;
  const nFrames = records.length - 3;
  const k = h.keypoints.length;
  const xy = new Float64Array(nFrames * 2 * k);
  const lik = h.hasLikelihood ? new Float64Array(nFrames * k).fill(NaN) : null;
  const index: string[] = new Array(nFrames);
  const set: string[] | undefined = h.hasSetColumn ? new Array(nFrames) : undefined;
  const bad = (line: number, col: number, label: string, cell: string): Either<string, PoseTable> => either.left(badCellMessage(file, line, col, label, cell));

  for (let f = 0; f < nFrames; f++) {
    const { record, info } = records[f + 3];
    if (record.length !== h.width) {
      return either.left(`${file}, line ${info.lines}: the row has ${record.length} cells but the header has ${h.width}`);
    }
    index[f] = record
      .slice(0, h.indexColumns)
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .join('/');
    if (set) set[f] = record[h.width - 1].trim();
    for (let j = 0; j < k; j++) {
      const name = h.keypoints[j];
      const x = parseNumberCell(record[h.xCol[j]]);
      if (x === null) return bad(info.lines, h.xCol[j], `${name} x`, record[h.xCol[j]]);
      const y = parseNumberCell(record[h.yCol[j]]);
      if (y === null) return bad(info.lines, h.yCol[j], `${name} y`, record[h.yCol[j]]);
      xy[f * 2 * k + 2 * j] = x;
      xy[f * 2 * k + 2 * j + 1] = y;
      const lc = h.likelihoodCol[j];
      if (lik && lc !== -1) {
        const l = parseNumberCell(record[lc]);
        if (l === null) return bad(info.lines, lc, `${name} likelihood`, record[lc]);
        lik[f * k + j] = l;
      }
    }
  }
  const table: PoseTable = {
    file,
    index,
    keypoints: h.keypoints,
    xy: { data: xy, rows: nFrames, cols: 2 * k },
    likelihood: lik ? { data: lik, rows: nFrames, cols: k } : null,
    hasSetColumn: h.hasSetColumn,
    extraCoords: h.extraCoords,
  };
  if (set) table.set = set;
  return either.right(table);
}

/** Reads and parses a pose CSV file (synchronously). */
export function readPoseCsv(path: string): Either<string, PoseTable> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return either.left(`${path}: cannot read the pose file: ${(e as Error).message}`);
  }
  return parsePoseCsv(text, path);
}

/** The table restricted to the keypoints `names`, in that order. */
export function selectKeypoints(t: PoseTable, names: readonly string[]): Either<string, PoseTable> {
  const pos = new Map(t.keypoints.map((n, i) => [n, i] as const));
  const missing = names.filter((n) => !pos.has(n));
  if (missing.length > 0) {
    return either.left(
      `${t.file}: keypoint(s) ${missing.map((n) => JSON.stringify(n)).join(', ')} not in the file. ` +
        `Requested: [${names.join(', ')}]; the file has: [${t.keypoints.join(', ')}]`,
    );
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) return either.left(`${t.file}: keypoint "${dup}" is requested more than once`);
  const rows = t.xy.rows;
  const k = names.length;
  const src = names.map((n) => pos.get(n)!);
  const xy = new Float64Array(rows * 2 * k);
  const lik = t.likelihood ? new Float64Array(rows * k) : null;
  const K = t.keypoints.length;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) {
      xy[r * 2 * k + 2 * j] = t.xy.data[r * 2 * K + 2 * src[j]];
      xy[r * 2 * k + 2 * j + 1] = t.xy.data[r * 2 * K + 2 * src[j] + 1];
      if (lik) lik[r * k + j] = t.likelihood!.data[r * K + src[j]];
    }
  }
  return either.right({
    ...t,
    keypoints: [...names],
    xy: { data: xy, rows, cols: 2 * k },
    likelihood: lik ? { data: lik, rows, cols: k } : null,
  });
}
