/**
 * The file metrics in float64, as the reference computes them (numpy on float64 arrays): a
 * coordinate of 1e30 gives a distance of ~1e30, not Infinity as float32 would. Inputs are
 * (frames, 2K) row-major x0, y0, x1, y1, …; outputs (frames, K), NaN where an input is NaN.
 */

/** Distance each keypoint moved since the previous frame; the first row is NaN. */
export const temporalNorm64 = (xy: Float64Array, rows: number, k: number): Float64Array => {
  const out = new Float64Array(rows * k);
  out.fill(NaN, 0, Math.min(rows, 1) * k);
  for (let r = 1; r < rows; r++) {
    const a = (r - 1) * 2 * k;
    const b = r * 2 * k;
    for (let j = 0; j < k; j++) {
      const dx = xy[b + 2 * j] - xy[a + 2 * j];
      const dy = xy[b + 2 * j + 1] - xy[a + 2 * j + 1];
      out[r * k + j] = Math.sqrt(dx * dx + dy * dy);
    }
  }
  return out;
};

/** Distance between the prediction of frame r and the label of frame `labelRow[r]`. */
export const pixelError64 = (pred: Float64Array, truth: Float64Array, labelRow: Int32Array, k: number): Float64Array => {
  const rows = labelRow.length;
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const p = r * 2 * k;
    const t = labelRow[r] * 2 * k;
    for (let j = 0; j < k; j++) {
      const dx = pred[p + 2 * j] - truth[t + 2 * j];
      const dy = pred[p + 2 * j + 1] - truth[t + 2 * j + 1];
      out[r * k + j] = Math.sqrt(dx * dx + dy * dy);
    }
  }
  return out;
};

/** The first repeated entry of `index`: the rows (0-based) of its first two occurrences; linear time. */
export const firstDuplicate = (index: readonly string[]): { value: string; first: number; second: number } | null => {
  const seen = new Map<string, number>();
  for (let r = 0; r < index.length; r++) {
    const prev = seen.get(index[r]);
    if (prev !== undefined) return { value: index[r], first: prev, second: r };
    seen.set(index[r], r);
  }
  return null;
};
