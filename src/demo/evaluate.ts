import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { pixelError, temporalNorm } from '../metrics/index.js';
import { formatForPca, type PcaFit, reprojectionError } from '../pca/index.js';

/**
 * The demo's measurements of one run's predictions on one video: per frame and keypoint
 * pixel error against the true keypoints, temporal norm (distance moved since the previous
 * frame) and PCA reprojection error (distance to the labeled poses' subspace), by the
 * library's metrics and PCA; then the summaries the table prints.
 */

export interface VideoMetrics {
  readonly frames: number;
  readonly keypoints: number;
  /** frames × K. */
  readonly pixelError: Float64Array;
  /** frames × K; the first frame NaN. */
  readonly temporalNorm: Float64Array;
  /** frames × K. */
  readonly pcaError: Float64Array;
}

export interface Summary {
  readonly meanError: number;
  readonly medianError: number;
  readonly p95Error: number;
  /** Fraction of frames whose worst keypoint is more than `threshold` pixels off. */
  readonly framesOver: number;
  /** The same among frames with an occluder or distractor. */
  readonly framesOverDisturbed: number;
  readonly meanTemporalNorm: number;
  readonly meanPcaError: number;
}

const pcaError = (pred: Float64Array, frames: number, fit: PcaFit): Float64Array => {
  const formatted = formatForPca({ data: pred, rows: frames, cols: pred.length / frames }, fit.format);
  if (either.isLeft(formatted)) throw new Error(`PCA error: ${formatted.left}`);
  return reprojectionError(formatted.right, fit.mean, fit.kept).data;
};

/** Metrics of predicted keypoints (frames × 2K) against the true ones. */
export const measure = (pred: ArrayLike<number>, truth: ArrayLike<number>, frames: number, fit: PcaFit): VideoMetrics => {
  const K = pred.length / frames / 2;
  const p64 = Float64Array.from(pred);
  const [pe, tn] = tf.tidy(() => {
    const p = tf.tensor3d(Float32Array.from(pred), [frames, K, 2]);
    const t = tf.tensor3d(Float32Array.from(truth), [frames, K, 2]);
    return [pixelError(t, p), temporalNorm(p)];
  });
  const out = {
    frames,
    keypoints: K,
    pixelError: Float64Array.from(pe.dataSync()),
    temporalNorm: Float64Array.from(tn.dataSync()),
    pcaError: pcaError(p64, frames, fit),
  };
  tf.dispose([pe, tn]);
  return out;
};

/** The q-quantile (linear interpolation) of the finite values. */
export const quantile = (values: ArrayLike<number>, q: number): number => {
  const v = Array.from(values)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const r = q * (v.length - 1);
  const lo = Math.floor(r);
  return v[lo] + (v[Math.min(lo + 1, v.length - 1)] - v[lo]) * (r - lo);
};

const mean = (values: ArrayLike<number>): number => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) (s += values[i]), n++;
  return n ? s / n : NaN;
};

/** Rows (frames) of a frames × K matrix, restricted to `keep`. */
const rows = (m: Float64Array, k: number, keep: readonly number[]): Float64Array => {
  const out = new Float64Array(keep.length * k);
  keep.forEach((f, i) => out.set(m.subarray(f * k, (f + 1) * k), i * k));
  return out;
};

/** Worst keypoint error per frame. */
export const worstPerFrame = (m: VideoMetrics): Float64Array =>
  Float64Array.from({ length: m.frames }, (_, f) => Math.max(...m.pixelError.subarray(f * m.keypoints, (f + 1) * m.keypoints)));

/** Summary over the frames `keep` (all when omitted); `threshold` in pixels; `disturbed[f]`: frame f has an occluder or distractor. */
export const summarise = (m: VideoMetrics, threshold: number, disturbed: readonly boolean[], keep?: readonly number[]): Summary => {
  const all = keep ?? Array.from({ length: m.frames }, (_, i) => i);
  const hard = all.filter((f) => disturbed[f]);
  const pe = rows(m.pixelError, m.keypoints, all);
  const worst = worstPerFrame(m);
  return {
    meanError: mean(pe),
    medianError: quantile(pe, 0.5),
    p95Error: quantile(pe, 0.95),
    framesOver: all.filter((f) => worst[f] > threshold).length / all.length,
    framesOverDisturbed: hard.length ? hard.filter((f) => worst[f] > threshold).length / hard.length : NaN,
    meanTemporalNorm: mean(rows(m.temporalNorm, m.keypoints, all)),
    meanPcaError: mean(rows(m.pcaError, m.keypoints, all)),
  };
};
