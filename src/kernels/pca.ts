import type { PcaFit } from '../pca/types.js';
import type { FusedForward } from './fused.js';

/**
 * pca_singleview / pca_multiview on predictions (B, 2K): format rows as the fit data, the
 * residual d = (I − EᵀE)(x − μ) of each row, per-keypoint ‖d‖, relu(· − ε), mean — and the
 * gradient back through the projection, the centering and the formatting, in one pass per row.
 */
export const pcaForward = (pca: PcaFit, frames: number, k: number, eps: number): FusedForward => {
  const fmt = pca.format;
  const { mean } = pca;
  const E = pca.kept.data;
  const n = pca.kept.rows;
  const d = mean.length;
  // for each formatted row r of frame b and each column c: the flat input column it reads
  const perFrame = fmt.kind === 'multiview' ? fmt.matches[0].length : 1;
  const source: Int32Array[] = [];
  if (fmt.kind === 'multiview')
    for (let j = 0; j < perFrame; j++) source.push(Int32Array.from(fmt.matches.flatMap((view) => [2 * view[j], 2 * view[j] + 1])));
  else {
    const cols = fmt.columns ?? Array.from({ length: k }, (_, i) => i);
    source.push(Int32Array.from(cols.flatMap((c) => [2 * c, 2 * c + 1])));
  }
  const centering = fmt.kind === 'singleview' ? fmt.centering : null;
  const rows = frames * perFrame;
  const count = rows * (d / 2);
  const xs = new Float64Array(d);
  const diff = new Float64Array(d);
  const gd = new Float64Array(d);
  const gw = new Float64Array(d); // gradient w.r.t. centred row, back through the centering weights
  const sorted = new Float64Array(d / 2);

  /** Per coordinate: the median's weights over the kept keypoints (½ to each middle value, shared by ties). */
  const medianWeights = (coord: number, out: Float64Array) => {
    const m = d / 2;
    for (let j = 0; j < m; j++) sorted[j] = xs[2 * j + coord];
    sorted.sort();
    const lo = sorted[(m - 1) >> 1];
    const hi = sorted[m >> 1];
    let nlo = 0;
    let nhi = 0;
    for (let j = 0; j < m; j++) {
      if (xs[2 * j + coord] === lo) nlo++;
      if (xs[2 * j + coord] === hi) nhi++;
    }
    for (let j = 0; j < m; j++) out[2 * j + coord] = (xs[2 * j + coord] === lo ? 0.5 / nlo : 0) + (xs[2 * j + coord] === hi ? 0.5 / nhi : 0);
    return 0.5 * (lo + hi);
  };

  const half = d / 2;
  const mw = new Float64Array(d);
  return ([x], grads) => {
    const g = grads?.[0];
    let total = 0;
    for (let b = 0; b < frames; b++)
      for (let r = 0; r < perFrame; r++) {
        const src = source[r];
        const base = b * 2 * k;
        let anyNaN = false;
        for (let c = 0; c < d; c++) {
          const v = x[base + src[c]];
          if (v !== v) anyNaN = true;
          xs[c] = v;
        }
        if (centering) centre(xs, anyNaN);
        for (let c = 0; c < d; c++) xs[c] -= mean[c];
        project(xs, diff);
        let rowActive = false;
        for (let j = 0; j < half; j++) {
          const ex = diff[2 * j];
          const ey = diff[2 * j + 1];
          const e = Math.sqrt(ex * ex + ey * ey);
          const v = e - eps;
          let gx = 0;
          let gy = 0;
          if (v > 0) {
            total += v;
            if (e > 0) {
              gx = ex / (e * count);
              gy = ey / (e * count);
              rowActive = true;
            }
          } else if (v !== v) total = NaN;
          gd[2 * j] = gx;
          gd[2 * j + 1] = gy;
        }
        if (!g || !rowActive) continue;
        project(gd, gw); // (I − EᵀE) is symmetric: the same map takes the gradient back
        if (centering) uncentre(gw);
        for (let c = 0; c < d; c++) g[base + src[c]] += gw[c];
      }
    return count === 0 ? 0 : total / count;
  };

  /** out = (I − EᵀE)·v */
  function project(v: Float64Array, out: Float64Array): void {
    for (let c = 0; c < d; c++) out[c] = v[c];
    for (let i = 0; i < n; i++) {
      const o = i * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += E[o + c] * v[c];
      for (let c = 0; c < d; c++) out[c] -= E[o + c] * s;
    }
  }

  /** Subtract the per-coordinate mean or median over the row's keypoints; a NaN frame is all NaN. */
  function centre(row: Float64Array, anyNaN: boolean): void {
    for (let coord = 0; coord < 2; coord++) {
      let c0 = 0;
      if (anyNaN) c0 = NaN;
      else if (centering === 'mean') {
        for (let j = coord; j < d; j += 2) c0 += row[j];
        c0 /= half;
      } else c0 = medianWeights(coord, mw);
      for (let j = coord; j < d; j += 2) row[j] = anyNaN ? NaN : row[j] - c0;
    }
  }

  /** The gradient back through the centering: ∂(x_j − centre(x))/∂x. */
  function uncentre(gr: Float64Array): void {
    for (let coord = 0; coord < 2; coord++) {
      let sum = 0;
      for (let j = coord; j < d; j += 2) sum += gr[j];
      for (let j = coord; j < d; j += 2) gr[j] -= centering === 'mean' ? sum / half : sum * mw[j];
    }
  }
};
