/** Tolerances of the vectors' README: |a − e| ≤ atol + rtol·|e|. */
export interface Tol {
  readonly rtol: number;
  readonly atol: number;
}

export const DEFAULT_TOL: Tol = { rtol: 1e-4, atol: 1e-6 };

/**
 * Compare one value. `expected` null → NaN required, except where `nullMeansFinite`
 * (gradients: the reference produced NaN there; poseloss must be finite). Returns a
 * mismatch description or null.
 */
export const compareValue = (what: string, actual: number, expected: number | null, tol: Tol, nullMeansFinite = false): string | null => {
  if (expected === null) {
    if (nullMeansFinite) return Number.isFinite(actual) ? null : `${what}: expected a finite value (reference NaN), got ${actual}`;
    return Number.isNaN(actual) ? null : `${what}: expected NaN, got ${actual}`;
  }
  if (Number.isNaN(actual)) return `${what}: expected ${expected}, got NaN`;
  const diff = Math.abs(actual - expected);
  return diff <= tol.atol + tol.rtol * Math.abs(expected) ? null : `${what}: expected ${expected}, got ${actual} (|diff| ${diff.toExponential(3)})`;
};

/** Compare arrays elementwise; the first mismatch (with its flat index) or null. */
export const compareArray = (
  what: string,
  actual: ArrayLike<number>,
  expected: readonly (number | null)[],
  tol: Tol,
  nullMeansFinite = false,
): string | null => {
  if (actual.length !== expected.length) return `${what}: expected ${expected.length} values, got ${actual.length}`;
  for (let i = 0; i < expected.length; i++) {
    const m = compareValue(`${what}[${i}]`, actual[i], expected[i], tol, nullMeansFinite);
    if (m) return m;
  }
  return null;
};

export const compareShape = (what: string, actual: readonly number[], expected: readonly number[]): string | null =>
  actual.length === expected.length && actual.every((d, i) => d === expected[i]) ? null : `${what}: expected shape [${expected}], got [${actual}]`;

/** Rows compared up to a sign flip of the whole row (PCA components). */
export const compareRowsUpToSign = (what: string, actual: ArrayLike<number>, expected: readonly (number | null)[], cols: number, atol: number): string | null => {
  if (actual.length !== expected.length) return `${what}: expected ${expected.length} values, got ${actual.length}`;
  const tol = { rtol: 0, atol };
  for (let r = 0; r * cols < expected.length; r++) {
    const row = Array.from({ length: cols }, (_, j) => actual[r * cols + j]);
    const exp = expected.slice(r * cols, (r + 1) * cols);
    const plus = compareArray(`${what} row ${r}`, row, exp, tol);
    const minus = compareArray(`${what} row ${r} (negated)`, row.map((v) => -v), exp, tol);
    if (plus && minus) return plus;
  }
  return null;
};

/**
 * PCA components: row by row up to sign, except rows whose eigenvalues are numerically zero
 * (≤ 1e-9 of the largest, e.g. the 2 directions centering removes): an eigenvector of a
 * repeated eigenvalue is defined only up to a rotation within its eigenspace, so those rows
 * are compared as a subspace (their projection matrices must agree within `atol`).
 */
export const compareComponents = (
  what: string,
  actual: ArrayLike<number>,
  expected: readonly (number | null)[],
  cols: number,
  eigenvalues: readonly number[],
  atol: number,
): string | null => {
  const rows = expected.length / cols;
  const top = Math.max(...eigenvalues.map(Math.abs), 0);
  const nullRows = Array.from({ length: rows }, (_, r) => r).filter((r) => Math.abs(eigenvalues[r] ?? 0) <= 1e-9 * top);
  const keep = Array.from({ length: rows }, (_, r) => r).filter((r) => !nullRows.includes(r));
  const pickRows = (a: ArrayLike<number>, rs: number[]) => rs.flatMap((r) => Array.from({ length: cols }, (_, j) => a[r * cols + j] as number));
  const m = compareRowsUpToSign(what, pickRows(actual, keep), pickRows(expected as number[], keep), cols, atol);
  if (m || nullRows.length < 2) return m ?? (nullRows.length === 1 ? compareRowsUpToSign(what, pickRows(actual, nullRows), pickRows(expected as number[], nullRows), cols, atol) : null);
  const projector = (a: number[]) => {
    const p = new Float64Array(cols * cols);
    for (let r = 0; r < nullRows.length; r++)
      for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) p[i * cols + j] += a[r * cols + i] * a[r * cols + j];
    return p;
  };
  return compareArray(`${what} (null-space rows ${nullRows.join(', ')}, as a subspace)`, projector(pickRows(actual, nullRows)), Array.from(projector(pickRows(expected as number[], nullRows))), { rtol: 0, atol });
};
