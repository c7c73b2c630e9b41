import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { issue, type PoselossIssue } from '../config/issues.js';

/** One row of a calibrations index: a labeled image and the calibration file of its session. */
export interface CalibrationIndexRow {
  readonly image: string;
  readonly file: string;
  /** 1-based line in the index file, for messages. */
  readonly line: number;
}

/** A cell without its surrounding double quotes ("" inside one is a quote). */
const cell = (c: string): string => {
  const s = c.trim();
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s;
};

/**
 * The reference's calibrations index (`calibrations.csv`, what its `data.camera_params_file`
 * names): a header `,file`, then one row per labeled image — the image's path without the view's
 * folder, and the path of its session's anipose calibration TOML (relative to the project root).
 * Every malformed line is an issue naming `source`, the line and what was expected.
 */
export const parseCalibrationIndex = (text: string, source: string): Either<PoselossIssue[], CalibrationIndexRow[]> => {
  const lines = text
    .split(/\r?\n/)
    .map((l, i) => ({ l, line: i + 1 }))
    .filter(({ l }) => l.trim() !== '');
  if (lines.length === 0) return either.left([issue(source, 'the calibrations index is empty: expected a header `,file` and one row per labeled image')]);
  const issues: PoselossIssue[] = [];
  const header = lines[0].l.split(',').map(cell);
  if (header.length !== 2 || header[1] !== 'file')
    issues.push(issue(`${source}:${lines[0].line}`, `expected the header ',file' (image path, calibration file), got '${lines[0].l.trim()}'`));
  const rows: CalibrationIndexRow[] = [];
  for (const { l, line } of lines.slice(1)) {
    // image paths hold no commas in the reference's layout (labeled-data/<session>/<image>)
    const cells = l.split(',').map(cell);
    if (cells.length !== 2) issues.push(issue(`${source}:${line}`, `expected 2 columns (image path, calibration file), got ${cells.length}`));
    else if (!cells[0] || !cells[1]) issues.push(issue(`${source}:${line}`, `an empty ${cells[0] ? 'calibration file' : 'image path'}`));
    else rows.push({ image: cells[0], file: cells[1], line });
  }
  if (issues.length === 0 && rows.length === 0) issues.push(issue(source, 'the calibrations index has no rows: expected one per labeled image'));
  return issues.length ? either.left(issues) : either.right(rows);
};
