import type { Matrix64 } from './types.js';

/**
 * Arithmetic of the reprojection: `float32` reproduces the reference's float32 tensors (inputs,
 * mean and components rounded to float32, every intermediate rounded; the golden vectors' small
 * fit errors depend on it); `float64` is plain double precision.
 */
export type Precision = 'float32' | 'float64';

const checkShapes = (x: Matrix64, mean: Float64Array, kept: Matrix64): void => {
  const d = x.cols;
  if (x.data.length !== x.rows * d) {
    throw new RangeError(`reprojection input has ${x.data.length} entries, shape (${x.rows}, ${d}) needs ${x.rows * d}`);
  }
  if (d % 2 !== 0) throw new RangeError(`reprojection input has ${d} columns; expected an even number (x, y pairs)`);
  if (mean.length !== d) throw new RangeError(`PCA mean has ${mean.length} entries, the formatted input has ${d} columns`);
  if (kept.cols !== d || kept.data.length !== kept.rows * d) {
    throw new RangeError(`PCA components are ${kept.rows}×${kept.cols}, the formatted input has ${d} columns`);
  }
};

/** The parameters in the working precision: mean, E (k × D) and Eᵀ (D × k). */
const params = (mean: Float64Array, kept: Matrix64, r32: boolean) => {
  const { rows: k, cols: d } = kept;
  const m = r32 ? mean.map(Math.fround) : mean;
  const e = r32 ? kept.data.map(Math.fround) : kept.data;
  const et = new Float64Array(k * d);
  for (let i = 0; i < k; i++) for (let c = 0; c < d; c++) et[c * k + i] = e[i * d + c];
  return { m, e, et, k, d };
};

/**
 * The PCA losses' float32 resolution (one convention for the fused kernel, the tfjs-ops path and
 * the plain-JS reference): a per-keypoint reprojection error at or below
 * `errorFloorScale(D) · s` is 0, with no gradient, where D is the formatted row's width and s the
 * largest magnitude (NaN ignored) among the coordinates of the row's frame and the PCA mean.
 * float32 computes the error of a row on the subspace as a few ulps of the numbers it subtracts
 * (measured up to ~0.65·√D·2⁻²³ of them; they are at most 3·s), in a direction set by rounding:
 * each path gets different noise there, and a fitted epsilon of degenerate labels is noise of the
 * same size, so `relu(e − ε)` was on or off and its gradient pointed anywhere depending on the
 * path. The floor, 2⁻²⁰·√D·s, is ≥ 4× that noise; errors above it are untouched.
 */
export const errorFloorScale = (d: number): number => 2 ** -20 * Math.sqrt(d);

/**
 * Reprojects each formatted row onto the affine subspace `mean + span(kept)`:
 * R = ((X − mean) Eᵀ) E + mean, with E = `kept` (components as rows) → (rows, D). A NaN anywhere
 * in a row makes that row all NaN.
 */
export function reproject(x: Matrix64, mean: Float64Array, kept: Matrix64, precision: Precision = 'float32'): Matrix64 {
  checkShapes(x, mean, kept);
  const r32 = precision === 'float32';
  const { m, e, et, k, d } = params(mean, kept, r32);
  const rnd = r32 ? Math.fround : (v: number) => v;
  const rows = x.rows;
  const out = new Float64Array(rows * d);
  const centred = new Float64Array(d);
  const coef = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let nan = false;
    for (let c = 0; c < d; c++) {
      const v = rnd(rnd(x.data[o + c]) - m[c]);
      if (v !== v) nan = true;
      centred[c] = v;
    }
    if (nan) {
      out.fill(NaN, o, o + d);
      continue;
    }
    for (let i = 0; i < k; i++) {
      let a = 0;
      for (let c = 0; c < d; c++) a = rnd(a + centred[c] * e[i * d + c]);
      coef[i] = a;
    }
    for (let c = 0; c < d; c++) {
      let s = 0;
      for (let i = 0; i < k; i++) s = rnd(s + coef[i] * et[c * k + i]);
      out[o + c] = rnd(s + m[c]);
    }
  }
  return { data: out, rows, cols: d };
}

/**
 * Per-keypoint reprojection error of formatted rows X (rows, D): the Euclidean norm of each
 * (x, y) pair of X − R, R = ((X − mean) Eᵀ) E + mean → (rows, D/2). A NaN anywhere in a row
 * makes that row's errors all NaN. Throws a RangeError when the shapes disagree. `precision`
 * defaults to the reference's float32 arithmetic.
 */
export function reprojectionError(x: Matrix64, mean: Float64Array, kept: Matrix64, precision: Precision = 'float32'): Matrix64 {
  const r = reproject(x, mean, kept, precision);
  const rnd = precision === 'float32' ? Math.fround : (v: number) => v;
  const half = x.cols / 2;
  const out = new Float64Array(x.rows * half);
  for (let i = 0; i < out.length; i++) {
    const dx = rnd(rnd(x.data[2 * i]) - r.data[2 * i]);
    const dy = rnd(rnd(x.data[2 * i + 1]) - r.data[2 * i + 1]);
    out[i] = rnd(Math.sqrt(dx * dx + dy * dy));
  }
  return { data: out, rows: x.rows, cols: half };
}
