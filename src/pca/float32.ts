/**
 * Float32 reductions that reproduce the reference's float32 arithmetic bit for bit where the
 * golden vectors are sensitive to it (the nanmean that becomes the PCA mean). Values are held in
 * Float64Array but every stored intermediate is rounded to float32 (`Math.fround`).
 */

import { nanMeanColumns } from './nanStats.js';
import type { Matrix64 } from './types.js';

/** Rounds to the nearest float32 (alias of Math.fround). */
export const f32 = Math.fround;

/** numpy's pairwise summation (unrolled by 8, blocks of 128) of `n` float32 values `get(i)`. */
function pairwiseSumF32(data: Float64Array, start: number, n: number, stride: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) {
      const v = data[start + i * stride];
      res = f32(res + (v === v ? v : 0));
    }
    return res;
  }
  if (n <= 128) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) {
      const v = data[start + j * stride];
      r[j] = v === v ? v : 0;
    }
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) {
        const v = data[start + (i + j) * stride];
        r[j] = f32(r[j] + (v === v ? v : 0));
      }
    }
    let res = f32(f32(f32(r[0] + r[1]) + f32(r[2] + r[3])) + f32(f32(r[4] + r[5]) + f32(r[6] + r[7])));
    for (; i < n; i++) {
      const v = data[start + i * stride];
      res = f32(res + (v === v ? v : 0));
    }
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return f32(pairwiseSumF32(data, start, n2, stride) + pairwiseSumF32(data, start + n2 * stride, n - n2, stride));
}

const countObserved = (x: Matrix64, c: number): number => {
  let n = 0;
  for (let r = 0; r < x.rows; r++) if (!Number.isNaN(x.data[r * x.cols + c])) n++;
  return n;
};

/**
 * Per-column float32 nanmean as numpy computes it on a float32 array (NaN → 0, float32 sum,
 * divided by the count of non-NaN entries; NaN for a column with none).
 * - `sequential`: the array is row-major, so numpy adds the rows one after another;
 * - `pairwise`: each column is contiguous in memory (the reference's multiview rows are a
 *   transposed view), so numpy sums it pairwise.
 */
export function nanMeanF32(x: Matrix64, order: 'sequential' | 'pairwise'): Float64Array {
  if (order === 'sequential') return nanMeanColumns(x, f32);
  const { data, rows, cols } = x;
  const out = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    const n = countObserved(x, c);
    out[c] = n > 0 ? f32(pairwiseSumF32(data, c, rows, cols) / n) : NaN;
  }
  return out;
}
