import { expect } from 'vitest';

/** Golden tolerance: |a − e| ≤ atol + rtol·|e|, NaN only matches NaN. Reports the first failure. */
export const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, atol = 1e-6, rtol = 1e-4): void => {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e)) {
      expect(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`).toBe(true);
      continue;
    }
    const ok = Math.abs(a - e) <= atol + rtol * Math.abs(e);
    expect(ok, `${what}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)})`).toBe(true);
  }
};

/** Each row of `actual` equals the same row of `expected` or its negation, within atol. */
export const expectRowsUpToSign = (actual: Float64Array, expected: Float64Array, cols: number, what: string, atol = 1e-4): void => {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let r = 0; r < expected.length / cols; r++) {
    let same = 0;
    let flipped = 0;
    for (let c = 0; c < cols; c++) {
      const a = actual[r * cols + c];
      const e = expected[r * cols + c];
      same = Math.max(same, Math.abs(a - e));
      flipped = Math.max(flipped, Math.abs(a + e));
    }
    expect(Math.min(same, flipped) <= atol, `${what} row ${r}: max deviation ${Math.min(same, flipped)}`).toBe(true);
  }
};

/**
 * Components (rows of `actual` / `expected`, `cols` wide) compared up to sign, except where the
 * expected eigenvalues are numerically degenerate (gap ≤ 1e-9 · largest eigenvalue, e.g. the
 * exact null space that centering creates): there the eigenvectors are fixed only by rounding
 * noise, so the spanned subspaces are compared instead (orthogonal projectors within atol).
 */
export const expectComponentsMatch = (
  actual: Float64Array,
  expected: Float64Array,
  expectedVariance: Float64Array,
  cols: number,
  what: string,
  atol = 1e-4,
): void => {
  const n = expected.length / cols;
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const floor = 1e-9 * Math.max(...expectedVariance);
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && Math.abs(expectedVariance[end - 1] - expectedVariance[end]) <= floor) end++;
    if (end - start === 1) {
      expectRowsUpToSign(actual.subarray(start * cols, end * cols), expected.subarray(start * cols, end * cols), cols, `${what} row ${start}`, atol);
    } else {
      const proj = (m: Float64Array): Float64Array => {
        const p = new Float64Array(cols * cols);
        for (let r = start; r < end; r++) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) p[i * cols + j] += m[r * cols + i] * m[r * cols + j];
        return p;
      };
      const pa = proj(actual);
      const pe = proj(expected);
      let worst = 0;
      for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i] - pe[i]));
      expect(worst <= atol, `${what} rows ${start}..${end - 1} (degenerate eigenvalues): subspace deviation ${worst}`).toBe(true);
    }
    start = end;
  }
};
