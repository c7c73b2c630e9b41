import type { Matrix64 } from './types.js';

/** A rows × cols matrix over `data` (zeros when omitted). Throws if the sizes disagree. */
export const matrix64 = (rows: number, cols: number, data?: Float64Array): Matrix64 => {
  const d = data ?? new Float64Array(rows * cols);
  if (d.length !== rows * cols) {
    throw new RangeError(`matrix data has ${d.length} entries, expected ${rows}×${cols} = ${rows * cols}`);
  }
  return { data: d, rows, cols };
};

/** Rows [start, end) of `m`, copied. */
export const sliceRows = (m: Matrix64, start: number, end: number): Matrix64 => matrix64(end - start, m.cols, m.data.slice(start * m.cols, end * m.cols));

/** Why `m` is not a well-formed matrix, or null when it is. */
export const matrixProblem = (m: Matrix64, name: string): string | null => {
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols < 0) {
    return `${name} has an invalid shape (${m.rows}, ${m.cols})`;
  }
  if (m.data.length !== m.rows * m.cols) {
    return `${name} has ${m.data.length} entries but shape (${m.rows}, ${m.cols}) needs ${m.rows * m.cols}`;
  }
  return null;
};

/** Whether row `r` of `m` has a NaN. */
export const rowHasNaN = (m: Matrix64, r: number): boolean => {
  const { data, cols } = m;
  for (let c = r * cols, end = c + cols; c < end; c++) if (Number.isNaN(data[c])) return true;
  return false;
};
