import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { Matrix64 } from './types.js';

export interface SymmetricEigen {
  /** Eigenvalues, descending, negatives clipped to 0. */
  values: Float64Array;
  /** Unit eigenvectors as rows, in the order of `values`, sign rule applied. */
  vectors: Matrix64;
}

/**
 * Flips each row of `v` (in place) so that its entry of largest absolute value (the first such
 * entry on ties) is positive.
 */
export function applySignRule(v: Matrix64): void {
  const { data, rows, cols } = v;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let best = 0;
    let bestAbs = -1;
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(data[o + c]);
      if (a > bestAbs) {
        bestAbs = a;
        best = c;
      }
    }
    if (data[o + best] < 0) for (let c = 0; c < cols; c++) data[o + c] = -data[o + c];
  }
}

/**
 * Eigendecomposition of a symmetric matrix (Householder tridiagonalisation + implicit QL, via
 * ml-matrix), reordered by descending eigenvalue, negative eigenvalues clipped to 0 and the
 * sign rule applied to each eigenvector.
 */
export function symmetricEigen(c: Matrix64): SymmetricEigen {
  const d = c.rows;
  if (c.cols !== d) throw new RangeError(`symmetricEigen needs a square matrix, got ${c.rows}×${c.cols}`);
  if (d === 0) return { values: new Float64Array(0), vectors: { data: new Float64Array(0), rows: 0, cols: 0 } };
  const m = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m.set(i, j, c.data[i * d + j]);
  const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const ev = evd.realEigenvalues;
  const vecs = evd.eigenvectorMatrix; // eigenvectors as columns
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => ev[b] - ev[a] || a - b);
  const values = new Float64Array(d);
  const data = new Float64Array(d * d);
  for (let r = 0; r < d; r++) {
    const src = order[r];
    values[r] = Math.max(ev[src], 0);
    for (let k = 0; k < d; k++) data[r * d + k] = vecs.get(k, src);
  }
  const vectors = { data, rows: d, cols: d };
  applySignRule(vectors);
  return { values, vectors };
}
