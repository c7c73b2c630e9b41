/** Decimal numbers as pandas/numpy write them: 12, -3.5, .25, 1e-3, 1.5E+02. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The cells pandas' `read_csv` (which the reference reads pose files with) treats as missing by
 * default (`na_values`), plus `nan` in any letter case.
 */
export const MISSING_TOKENS: ReadonlySet<string> = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);

const INFINITE = /^[+-]?(?:inf|infinity)$/i;

/**
 * A coordinate cell: a missing-value token (as pandas reads them: empty, `nan`, `-nan`, `NA`,
 * `N/A`, `null`, …) is NaN; a finite decimal number parses with JS Number (correctly rounded);
 * anything else — text, `inf`, a number too large for a float64 (`1e400`) — is null, and
 * `badCell` says why.
 */
export function parseNumberCell(cell: string): number | null {
  const s = cell.trim();
  if (MISSING_TOKENS.has(s) || /^[+-]?nan$/i.test(s)) return NaN;
  if (!DECIMAL.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

/** Why `cell` (for which `parseNumberCell` gave null) is not a coordinate. */
export function cellProblem(cell: string): string {
  const s = cell.trim();
  const shown = JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control bytes is what this check is for
  if (/[\0\uFFFD]/.test(s) || /[\x01-\x08\x0e-\x1f]/.test(s))
    return `${shown.replace(/\\u0000/g, '\\0')} holds binary content (NUL or control bytes, or invalid UTF-8): is this a CSV text file?`;
  if (INFINITE.test(s)) return `${shown} is infinite; coordinates must be finite numbers (a missing value is an empty cell or nan)`;
  if (DECIMAL.test(s)) return `${shown} is too large for a 64-bit float (it overflows to infinity)`;
  return `${shown} is not a number`;
}

/** The message for a bad cell: file, line, column (1-based) and its header label. */
export const badCellMessage = (file: string, line: number, col: number, label: string, cell: string): string =>
  `${file}, line ${line}, column ${col + 1} (${label}): ${cellProblem(cell)}`;

/** Where `text` holds binary content (a NUL byte, invalid UTF-8): the 1-based line, or 0 when it is text. */
export function binaryLine(text: string): number {
  const i = text.search(/[\0\uFFFD]/);
  if (i === -1) return 0;
  let line = 1;
  for (let j = text.indexOf('\n'); j !== -1 && j < i; j = text.indexOf('\n', j + 1)) line++;
  return line;
}
