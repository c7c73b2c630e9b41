import type { Matrix64 } from './types.js';

const exact = (v: number): number => v;

/**
 * Per-column mean over the non-NaN entries (numpy nanmean, axis 0), rows added one after
 * another; NaN for a column with none. `round` rounds every stored intermediate
 * (`Math.fround` reproduces numpy on a row-major float32 array).
 */
export function nanMeanColumns(x: Matrix64, round: (v: number) => number = exact): Float64Array {
  const { data, rows, cols } = x;
  const sum = new Float64Array(cols);
  const cnt = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = data[o + c];
      if (v === v) {
        sum[c] = round(sum[c] + v);
        cnt[c] += 1;
      }
    }
  }
  for (let c = 0; c < cols; c++) sum[c] = cnt[c] > 0 ? round(sum[c] / cnt[c]) : NaN;
  return sum;
}

/**
 * Pairwise-complete covariance of the columns of `x` (numpy `ma.cov(masked_invalid(x),
 * rowvar=False)`): each column is centred by its nanmean `mean`, and
 * `C[i,j] = Σ x̃_i x̃_j / (n_ij − 1)` over the n_ij rows where both columns are observed.
 * Where n_ij < 2 the reference's masked division leaves the plain sum (n_ij = 1) or 0
 * (n_ij = 0); dividing by max(n_ij − 1, 1) reproduces both.
 */
export function pairwiseCovariance(x: Matrix64, mean: Float64Array): Matrix64 {
  const { data, rows, cols: d } = x;
  const s = new Float64Array(d * d); // upper triangle of Σ x̃_i x̃_j
  const pairCount = new Float64Array(d * d); // co-observations in rows with a NaN
  let completeRows = 0;
  // complete rows are centred into a block of 4 and accumulated together (4× fewer passes over s)
  const block = new Float64Array(4 * d);
  let inBlock = 0;
  const flush = (): void => {
    if (inBlock === 4) {
      for (let i = 0; i < d; i++) {
        const a0 = block[i];
        const a1 = block[d + i];
        const a2 = block[2 * d + i];
        const a3 = block[3 * d + i];
        const base = i * d;
        for (let j = i; j < d; j++) {
          s[base + j] += a0 * block[j] + a1 * block[d + j] + a2 * block[2 * d + j] + a3 * block[3 * d + j];
        }
      }
    } else {
      for (let b = 0; b < inBlock; b++) {
        const o = b * d;
        for (let i = 0; i < d; i++) {
          const a = block[o + i];
          const base = i * d;
          for (let j = i; j < d; j++) s[base + j] += a * block[o + j];
        }
      }
    }
    inBlock = 0;
  };
  const observed = new Int32Array(d);
  const centred = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let complete = true;
    for (let c = 0; c < d; c++) {
      if (data[o + c] !== data[o + c]) {
        complete = false;
        break;
      }
    }
    if (complete) {
      completeRows++;
      const bo = inBlock * d;
      for (let c = 0; c < d; c++) block[bo + c] = data[o + c] - mean[c];
      if (++inBlock === 4) flush();
      continue;
    }
    let nObs = 0;
    for (let c = 0; c < d; c++) {
      const v = data[o + c];
      if (v === v) {
        centred[c] = v - mean[c];
        observed[nObs++] = c;
      }
    }
    for (let a = 0; a < nObs; a++) {
      const i = observed[a];
      const xi = centred[i];
      const base = i * d;
      for (let b = a; b < nObs; b++) {
        const j = observed[b];
        s[base + j] += xi * centred[j];
        pairCount[base + j] += 1;
      }
    }
  }
  flush();
  const c = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const n = completeRows + pairCount[i * d + j];
      const v = s[i * d + j] / Math.max(n - 1, 1);
      c[i * d + j] = v;
      c[j * d + i] = v;
    }
  }
  return { data: c, rows: d, cols: d };
}

/** numpy's linear interpolation between neighbouring order statistics. */
const lerp = (a: number, b: number, t: number): number => {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
};

/** Rearranges v[lo..hi] so that v[k] is the k-th smallest, smaller left, larger right. */
function select(v: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    // median of three as pivot
    const mid = (lo + hi) >>> 1;
    const a = v[lo];
    const b = v[mid];
    const c = v[hi];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        const t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/**
 * The `p`-th percentile (0..100) of the non-NaN entries of `values`, with numpy's default linear
 * interpolation (rank p/100·(n−1)), as `np.nanpercentile`. NaN when there is no non-NaN entry.
 * Throws a RangeError when p is outside [0, 100].
 */
export function nanPercentile(values: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within [0, 100], got ${p}`);
  const len = values.length;
  const v = new Float64Array(len);
  let n = 0;
  for (let i = 0; i < len; i++) {
    const x = values[i];
    if (x === x) v[n++] = x;
  }
  if (n === 0) return NaN;
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const t = rank - lo;
  select(v, lo, 0, n - 1);
  const a = v[lo];
  if (t === 0 || lo === n - 1) return a;
  // v[lo+1..] are all ≥ a: the next order statistic is their minimum
  let b = Infinity;
  for (let i = lo + 1; i < n; i++) if (v[i] < b) b = v[i];
  return lerp(a, b, t);
}
