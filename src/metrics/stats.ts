import { nanPercentile } from '../pca/nanStats.js';

/** Summary of one keypoint's metric over the frames (NaN frames left out). */
export interface KeypointStats {
  /** Frames with a value (not NaN). */
  readonly frames: number;
  readonly median: number;
  /** 95th percentile, numpy's linear interpolation. */
  readonly p95: number;
  readonly max: number;
  /** The threshold compared with, or null when the metric has none. */
  readonly epsilon: number | null;
  /** Fraction of the frames with a value whose value exceeds epsilon; null without epsilon or frames. */
  readonly overEpsilon: number | null;
}

/**
 * Per keypoint statistics of a metric table (rows × cols, row-major, NaN = no value): median,
 * 95th percentile, max and the fraction of frames above `epsilon` (one number, one per
 * keypoint, or null). Exact: computed on every frame, not on a plotted sample.
 */
export function keypointStats(values: ArrayLike<number>, rows: number, cols: number, epsilon: number | readonly number[] | null): KeypointStats[] {
  const col = new Float64Array(rows);
  const out: KeypointStats[] = [];
  for (let k = 0; k < cols; k++) {
    let n = 0;
    let max = -Infinity;
    const eps = epsilon === null ? null : typeof epsilon === 'number' ? epsilon : epsilon[k];
    let over = 0;
    for (let r = 0; r < rows; r++) {
      const v = values[r * cols + k];
      if (v !== v) continue;
      col[n++] = v;
      if (v > max) max = v;
      if (eps !== null && v > eps) over++;
    }
    const vs = col.subarray(0, n);
    out.push({
      frames: n,
      median: nanPercentile(vs, 50),
      p95: nanPercentile(vs, 95),
      max: n === 0 ? NaN : max,
      epsilon: eps ?? null,
      overEpsilon: eps === null || eps === undefined || n === 0 ? null : over / n,
    });
  }
  return out;
}
