/** Tolerances of the vectors' README: |a − e| ≤ atol + rtol·|e|. */
export interface Tol {
  readonly rtol: number;
  readonly atol: number;
}

export const DEFAULT_TOL: Tol = { rtol: 1e-4, atol: 1e-6 };

/** The distance from |x| (as float32) to the next float32 up: one unit in the last place. */
export const ulpF32 = (x: number): number => {
  const f = Math.fround(Math.abs(x));
  if (!Number.isFinite(f)) return Infinity;
  const bits = new Uint32Array(new Float32Array([f]).buffer);
  bits[0] += 1;
  return new Float32Array(bits.buffer)[0] - f;
};

const maxAbs = (xs: readonly (number | null)[] | ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (v !== null && Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  }
  return m;
};

/**
 * A case's tolerances (the vectors' README, "scale-aware absolute tolerance"): values use
 * `DEFAULT_TOL`, except that a case fitted on data (it has `fit_keypoints`: PCA losses,
 * factories and metrics) allows `4·ulp_f32(max |fit coordinate|)`; a gradient tensor also
 * allows `1e-6·max(1, max |expected gradient|)`.
 */
export interface CaseTol {
  readonly value: Tol;
  readonly grad: (expected: readonly (number | null)[]) => Tol;
}

export const caseTol = (fitData: readonly (number | null)[] | undefined): CaseTol => {
  const atol = fitData ? Math.max(DEFAULT_TOL.atol, 4 * ulpF32(maxAbs(fitData))) : DEFAULT_TOL.atol;
  const value = { rtol: DEFAULT_TOL.rtol, atol };
  return { value, grad: (e) => ({ rtol: DEFAULT_TOL.rtol, atol: Math.max(atol, 1e-6 * Math.max(1, maxAbs(e))) }) };
};

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
export const compareRowsUpToSign = (
  what: string,
  actual: ArrayLike<number>,
  expected: readonly (number | null)[],
  cols: number,
  atol: number,
): string | null => {
  if (actual.length !== expected.length) return `${what}: expected ${expected.length} values, got ${actual.length}`;
  const tol = { rtol: 0, atol };
  for (let r = 0; r * cols < expected.length; r++) {
    const row = Array.from({ length: cols }, (_, j) => actual[r * cols + j]);
    const exp = expected.slice(r * cols, (r + 1) * cols);
    const plus = compareArray(`${what} row ${r}`, row, exp, tol);
    const minus = compareArray(
      `${what} row ${r} (negated)`,
      row.map((v) => -v),
      exp,
      tol,
    );
    if (plus && minus) return plus;
  }
  return null;
};

/**
 * Groups of consecutive rows whose eigenvalues (sorted descending) lie within `1e-5 · largest`
 * of their neighbour: equal or (near) zero eigenvalues, whose eigenvectors are defined only up
 * to a rotation within the space they span.
 */
export const eigenGroups = (eigenvalues: readonly number[], largest: number): number[][] => {
  const groups: number[][] = [];
  const close = 1e-5 * Math.abs(largest);
  for (let r = 0; r < eigenvalues.length; r++) {
    const last = groups[groups.length - 1];
    if (last && Math.abs(eigenvalues[r] - eigenvalues[r - 1]) <= close) last.push(r);
    else groups.push([r]);
  }
  return groups;
};

const projector = (a: ArrayLike<number>, rows: readonly number[], cols: number): Float64Array => {
  const p = new Float64Array(cols * cols);
  for (const r of rows) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) p[i * cols + j] += a[r * cols + i] * a[r * cols + j];
  return p;
};

/**
 * PCA components (one per row): a row whose eigenvalue is distinct is compared up to sign; rows
 * whose eigenvalues are equal or (near) zero (`eigenGroups`) are compared as the subspace they
 * span: their projection matrices must agree within `atol`. Without eigenvalues, row by row.
 */
export const compareComponents = (
  what: string,
  actual: ArrayLike<number>,
  expected: readonly (number | null)[],
  cols: number,
  eigenvalues: readonly number[] | null,
  largest: number,
  atol: number,
): string | null => {
  if (actual.length !== expected.length) return `${what}: expected ${expected.length} values, got ${actual.length}`;
  const rows = expected.length / cols;
  if (!eigenvalues || eigenvalues.length !== rows) return compareRowsUpToSign(what, actual, expected, cols, atol);
  const exp = expected.map((v) => (v === null ? NaN : v));
  for (const g of eigenGroups(eigenvalues, largest)) {
    const m =
      g.length === 1
        ? compareRowsUpToSign(
            `${what} row ${g[0]}:`,
            Array.from({ length: cols }, (_, j) => actual[g[0] * cols + j]),
            exp.slice(g[0] * cols, (g[0] + 1) * cols),
            cols,
            atol,
          )
        : compareArray(`${what} rows ${g.join(', ')} (equal eigenvalues, as a subspace)`, projector(actual, g, cols), Array.from(projector(exp, g, cols)), {
            rtol: 0,
            atol,
          });
    if (m) return m;
  }
  return null;
};
