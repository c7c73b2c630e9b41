import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';

/** The coordinate columns the pose table reads; every other coord (e.g. `visible`) is recorded and skipped. */
export const READ_COORDS = ['x', 'y', 'likelihood'] as const;

/** Where each keypoint's columns are, from the three header rows. */
export interface HeaderLayout {
  /** Number of leading index columns (1, or more for DeepLabCut's split image paths). */
  indexColumns: number;
  keypoints: string[];
  /** Column of x, y and likelihood (-1 when absent) of each keypoint. */
  xCol: number[];
  yCol: number[];
  likelihoodCol: number[];
  hasLikelihood: boolean;
  hasSetColumn: boolean;
  /** Distinct coords other than x / y / likelihood, in order of appearance. */
  extraCoords: string[];
  width: number;
}

const LEVELS = ['scorer', 'bodyparts', 'coords'] as const;

const colName = (c: number): string => `column ${c + 1}`;

/**
 * Reads the three DeepLabCut / Lightning Pose header rows (scorer, bodyparts, coords).
 * `rows` are the first three records, `lines` their line numbers; `where` prefixes messages.
 */
export function readHeader(rows: readonly string[][], lines: readonly number[], where: string): Either<string, HeaderLayout> {
  for (let l = 0; l < 3; l++) {
    const first = (rows[l]?.[0] ?? '').trim();
    if (first.toLowerCase() !== LEVELS[l]) {
      return either.left(
        `${where}, line ${lines[l] ?? l + 1}: expected three header rows starting with "scorer", "bodyparts", ` +
          `"coords" (DeepLabCut / Lightning Pose layout); found "${first}" where "${LEVELS[l]}" belongs` +
          (first.toLowerCase() === 'individuals' ? ' (multi-animal files are not supported)' : ''),
      );
    }
  }
  const width = rows[0].length;
  for (let l = 1; l < 3; l++) {
    if (rows[l].length !== width) {
      return either.left(`${where}, line ${lines[l]}: the ${LEVELS[l]} header row has ${rows[l].length} cells but the scorer row has ${width}`);
    }
  }
  const cell = (l: number, c: number): string => rows[l][c].trim();
  // DeepLabCut ≥ 2.2 splits the image path over several index columns with empty headers
  let indexColumns = 1;
  while (indexColumns < width && cell(0, indexColumns) === '' && cell(1, indexColumns) === '' && cell(2, indexColumns) === '') {
    indexColumns++;
  }
  const hasSetColumn = width > indexColumns && cell(0, width - 1) === 'set';
  const dataEnd = hasSetColumn ? width - 1 : width;

  const keypoints: string[] = [];
  const slot = new Map<string, number>();
  const xCol: number[] = [];
  const yCol: number[] = [];
  const likelihoodCol: number[] = [];
  const extraCoords: string[] = [];
  for (let c = indexColumns; c < dataEnd; c++) {
    const bp = cell(1, c);
    const coord = cell(2, c);
    if (bp === '') return either.left(`${where}, line ${lines[1]}, ${colName(c)}: empty bodypart name`);
    if (coord === '') return either.left(`${where}, line ${lines[2]}, ${colName(c)} (${bp}): empty coords entry`);
    if (!(READ_COORDS as readonly string[]).includes(coord)) {
      if (!extraCoords.includes(coord)) extraCoords.push(coord);
      continue;
    }
    let k = slot.get(bp);
    if (k === undefined) {
      k = keypoints.length;
      slot.set(bp, k);
      keypoints.push(bp);
      xCol.push(-1);
      yCol.push(-1);
      likelihoodCol.push(-1);
    }
    const target = coord === 'x' ? xCol : coord === 'y' ? yCol : likelihoodCol;
    if (target[k] !== -1) {
      return either.left(
        `${where}, line ${lines[2]}, ${colName(c)}: keypoint "${bp}" has a second "${coord}" column ` + `(the first is ${colName(target[k])})`,
      );
    }
    target[k] = c;
  }
  for (let k = 0; k < keypoints.length; k++) {
    const bp = keypoints[k];
    if (xCol[k] === -1 && yCol[k] === -1) {
      return either.left(`${where}, header: keypoint "${bp}" has only a likelihood column (${colName(likelihoodCol[k])}) and no x/y columns`);
    }
    if (yCol[k] === -1) {
      return either.left(`${where}, header: keypoint "${bp}" has an x column (${colName(xCol[k])}) but no y column`);
    }
    if (xCol[k] === -1) {
      return either.left(`${where}, header: keypoint "${bp}" has a y column (${colName(yCol[k])}) but no x column`);
    }
  }
  if (keypoints.length === 0) {
    return either.left(`${where}, header: no keypoint has x/y columns (coords row: ${rows[2].slice(indexColumns).join(', ')})`);
  }
  return either.right({
    indexColumns,
    keypoints,
    xCol,
    yCol,
    likelihoodCol,
    hasLikelihood: likelihoodCol.some((c) => c !== -1),
    hasSetColumn,
    extraCoords,
    width,
  });
}
