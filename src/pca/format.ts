import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { matrixProblem } from './matrix.js';
import type { Centering, Matrix64, PcaFormat } from './types.js';

/** The config key that holds a format's keypoint indices, for messages. */
export const formatKey = (fmt: PcaFormat): string => (fmt.kind === 'singleview' ? 'columns_for_singleview_pca' : 'mirrored_column_matches');

/**
 * `[[v·keypointsPerView + i for i in flat] for v in views]`: a flat list of matched keypoints of
 * one view, repeated for every view of a multiview dataset (the reference's "true multiview" form).
 */
export function expandFlatMatches(flat: readonly number[], numViews: number, keypointsPerView: number): number[][] {
  const out: number[][] = [];
  for (let v = 0; v < numViews; v++) out.push(flat.map((i) => v * keypointsPerView + i));
  return out;
}

const indexProblem = (where: string, idx: number, k: number): string | null => {
  if (!Number.isInteger(idx)) return `${where} = ${idx} is not an integer keypoint index`;
  if (idx < 0 || idx >= k) {
    return `${where} = ${idx} is outside the ${k} keypoints of the data (valid indices 0..${k - 1})`;
  }
  return null;
};

/** Why `fmt` cannot be applied to data with `k` keypoints, or null when it can. */
export function formatProblem(fmt: PcaFormat, k: number): string | null {
  if (fmt.kind === 'singleview') {
    if (fmt.centering !== null && fmt.centering !== 'mean' && fmt.centering !== 'median') {
      return `centering_method must be "mean", "median" or null, got ${JSON.stringify(fmt.centering)}`;
    }
    if (fmt.columns === null) return k === 0 ? 'the keypoint data has no keypoints' : null;
    if (fmt.columns.length === 0) return 'columns_for_singleview_pca is empty: list the keypoints the PCA should use';
    for (let i = 0; i < fmt.columns.length; i++) {
      const p = indexProblem(`columns_for_singleview_pca[${i}]`, fmt.columns[i], k);
      if (p) return p;
    }
    return null;
  }
  const m = fmt.matches;
  if (m.length === 0) return 'mirrored_column_matches is empty: give one list of keypoint indices per view';
  if (m[0].length === 0) return 'mirrored_column_matches[0] is empty: every view must list its matched keypoints';
  for (let v = 0; v < m.length; v++) {
    if (m[v].length !== m[0].length) {
      return (
        `mirrored_column_matches[${v}] lists ${m[v].length} keypoints but mirrored_column_matches[0] lists ` +
        `${m[0].length}: every view must list the same number of matched keypoints`
      );
    }
    for (let j = 0; j < m[v].length; j++) {
      const p = indexProblem(`mirrored_column_matches[${v}][${j}]`, m[v][j], k);
      if (p) return p;
    }
  }
  return null;
}

/**
 * The median of `v[0..n)` (sorted in place): the middle value, or for even n the two middle
 * values interpolated at 0.5 in float32 (torch.quantile's lerp: b − (b − a)·0.5).
 */
const medianInPlace = (s: Float64Array, n: number): number => {
  for (let i = 1; i < n; i++) {
    // insertion sort: n is a handful of keypoints
    const v = s[i];
    let j = i - 1;
    while (j >= 0 && s[j] > v) {
      s[j + 1] = s[j];
      j--;
    }
    s[j + 1] = v;
  }
  const h = n >> 1;
  if (n % 2 === 1) return s[h];
  const a = s[h - 1];
  const b = s[h];
  return Math.fround(b - Math.fround(Math.fround(b - a) * 0.5));
};

function formatSingleview(x: Matrix64, columns: readonly number[] | null, centering: Centering): Matrix64 {
  const k = x.cols / 2;
  const sel = columns ?? Array.from({ length: k }, (_, i) => i);
  const ks = sel.length;
  const d = 2 * ks;
  const out = new Float64Array(x.rows * d);
  const src = x.data;
  const scratch = centering === 'median' ? new Float64Array(ks) : null;
  for (let r = 0; r < x.rows; r++) {
    const si = r * x.cols;
    const oi = r * d;
    for (let j = 0; j < ks; j++) {
      const c = si + 2 * sel[j];
      out[oi + 2 * j] = Math.fround(src[c]);
      out[oi + 2 * j + 1] = Math.fround(src[c + 1]);
    }
    if (centering === null) continue;
    // x and y are centred separately, as the reference (torch.mean / torch.quantile per coordinate):
    // a NaN among one coordinate's values makes that coordinate's centre, and so all of that
    // coordinate in the frame, NaN; the other coordinate keeps its values.
    for (let coord = 0; coord < 2; coord++) {
      let centre: number;
      if (centering === 'mean') {
        let s = 0;
        for (let j = 0; j < ks; j++) s += out[oi + 2 * j + coord];
        centre = Math.fround(Math.fround(s) / ks); // float64 sum, float32 division, as the reference
      } else {
        let anyNaN = false;
        for (let j = 0; j < ks; j++) {
          scratch![j] = out[oi + 2 * j + coord];
          if (Number.isNaN(scratch![j])) anyNaN = true;
        }
        centre = anyNaN ? NaN : medianInPlace(scratch!, ks);
      }
      for (let j = 0; j < ks; j++) out[oi + 2 * j + coord] = Math.fround(out[oi + 2 * j + coord] - centre);
    }
  }
  return { data: out, rows: x.rows, cols: d };
}

function formatMultiview(x: Matrix64, matches: readonly (readonly number[])[]): Matrix64 {
  const nv = matches.length;
  const km = matches[0].length;
  const d = 2 * nv;
  const rows = x.rows * km;
  const out = new Float64Array(rows * d);
  const src = x.data;
  for (let n = 0; n < x.rows; n++) {
    const si = n * x.cols;
    for (let j = 0; j < km; j++) {
      const oi = (n * km + j) * d;
      for (let v = 0; v < nv; v++) {
        const c = si + 2 * matches[v][j];
        out[oi + 2 * v] = Math.fround(src[c]);
        out[oi + 2 * v + 1] = Math.fround(src[c + 1]);
      }
    }
  }
  return { data: out, rows, cols: d };
}

/**
 * Formats a (frames, 2K) keypoint matrix (x0, y0, x1, y1, …) into PCA rows (spec §11
 * "Formatting"); the same function serves fit data, loss predictions and metrics. Always
 * returns a new matrix. Like the reference, which holds keypoints as float32 tensors, the rows
 * are float32 values (inputs rounded with Math.fround, centering done in float32).
 */
export function formatForPca(x: Matrix64, fmt: PcaFormat): Either<string, Matrix64> {
  const mp = matrixProblem(x, 'the keypoint matrix');
  if (mp) return either.left(mp);
  if (x.cols % 2 !== 0) {
    return either.left(`the keypoint matrix has ${x.cols} columns; expected 2 per keypoint (x0, y0, x1, y1, …)`);
  }
  const fp = formatProblem(fmt, x.cols / 2);
  if (fp) return either.left(fp);
  return either.right(fmt.kind === 'singleview' ? formatSingleview(x, fmt.columns, fmt.centering) : formatMultiview(x, fmt.matches));
}
