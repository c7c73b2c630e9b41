import { nanPercentile } from '../pca/nanStats.js';

/** Per-column histograms on shared bins: `edges` (bins + 1), `y[k][b]` the fraction of column k's values in bin b. */
export interface Histogram {
  readonly edges: number[];
  readonly y: number[][];
  /** Values above the last edge were counted in the last bin (a long tail clipped for readability). */
  readonly clipped: boolean;
}

/** The smallest of 1, 2, 2.5, 5 × 10^k that is at least `w`: bin edges a reader can name. */
const niceWidth = (w: number): number => {
  const p = 10 ** Math.floor(Math.log10(w));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((c) => c >= w * (1 - 1e-12)) ?? 10 * p;
};

/**
 * Histograms of each column of a (rows × cols) table of non-negative values over [0, top], top
 * the 99.5th percentile of all values (so a few outliers do not squash the plot), in at most
 * `maxBins` equal bins of a round width; values
 * above it go into the last bin. Fractions are of each column's non-NaN values.
 */
export function histograms(values: ArrayLike<number>, rows: number, cols: number, maxBins = 40): Histogram {
  let max = 0;
  let infinite = false;
  for (let i = 0; i < rows * cols; i++) {
    if (values[i] === Infinity) infinite = true;
    else if (values[i] > max) max = values[i];
  }
  // an infinite value (a float32 PCA metric overflowing on huge coordinates) lands in the last bin
  const p = nanPercentile(values, 99.5);
  // below a micro-pixel there is nothing to resolve (and denormals would break the bin width)
  const top = Number.isFinite(p) && p > 1e-6 ? p : max > 1e-6 ? max : 1;
  const width = niceWidth(top / maxBins);
  const bins = Math.max(1, Math.ceil(top / width - 1e-9));
  const edges = Array.from({ length: bins + 1 }, (_, b) => b * width);
  const y = Array.from({ length: cols }, () => new Array<number>(bins).fill(0));
  const n = new Array<number>(cols).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) {
      const v = values[r * cols + k];
      if (v !== v) continue;
      n[k]++;
      y[k][Math.max(0, Math.min(bins - 1, Math.floor(v / width)))]++;
    }
  }
  for (let k = 0; k < cols; k++) if (n[k] > 0) for (let b = 0; b < bins; b++) y[k][b] /= n[k];
  return { edges, y, clipped: infinite || max > edges[bins] };
}
