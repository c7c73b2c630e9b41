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
