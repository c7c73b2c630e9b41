/**
 * Shared fast-check arbitraries and tiny helpers for the property suite.
 *
 * Inputs are plain data (`Arr`: a shape and float32 values, row-major) so properties can
 * permute, gather and perturb them in JS; tensors exist only inside `evaluate` /
 * `gradients`, which dispose everything they create.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { expect } from 'vitest';
import { formatIssues } from '../../src/config/issues.js';
import { buildPipeline } from '../../src/losses/build.js';
import { createLossOrThrow } from '../../src/losses/registry.js';
import type { Stage } from '../../src/pipeline/inputs.js';
import { isInputKey, namedAxes, namedShape } from '../../src/pipeline/keys.js';
import type { Loss, LossResult } from '../../src/pipeline/loss.js';
import type { StepSpec } from '../../src/pipeline/step.js';

// ---------------------------------------------------------------------------------------
// Plain arrays

export interface Arr {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}
export type Inputs = Record<string, Arr>;

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const arr = (shape: readonly number[], data: ArrayLike<number>): Arr => {
  if (data.length !== sizeOf(shape)) throw new Error(`arr: ${data.length} values for shape (${shape.join(',')})`);
  return { shape: [...shape], data: Float32Array.from(data) };
};
export const filled = (shape: readonly number[], f: (i: number) => number): Arr =>
  arr(
    shape,
    Array.from({ length: sizeOf(shape) }, (_, i) => f(i)),
  );
export const mapArr = (a: Arr, f: (v: number, i: number) => number): Arr => arr(a.shape, Array.from(a.data, f));
export const withValue = (a: Arr, i: number, v: number): Arr => {
  const data = Float32Array.from(a.data);
  data[i] = v;
  return { shape: a.shape, data };
};

/** Row-major strides of a shape. */
const strides = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
};

/**
 * out[..., i, ...] = in[..., perm[i], ...] along `axis` of `view` (default: the array's
 * own shape; flat (B, 2K) keypoints are permuted as a (B, K, 2) view).
 */
export const permuteAxis = (a: Arr, axis: number, perm: readonly number[], view: readonly number[] = a.shape): Arr => {
  if (view[axis] !== perm.length) throw new Error(`permuteAxis: axis ${axis} has ${view[axis]} entries, perm ${perm.length}`);
  const st = strides(view);
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const pos = Math.floor(i / st[axis]) % view[axis];
    out[i] = a.data[i + (perm[pos] - pos) * st[axis]];
  }
  return { shape: a.shape, data: out };
};

/** Which axis of an input key holds the keypoints, and the view to see it in (flat (B, 2K) as (B, K, 2)): from the input-key table. */
export const keypointAxis = (key: string, a: Arr): { axis: number; view: readonly number[] } => {
  if (!isInputKey(key)) throw new Error(`keypointAxis: ${key} is not in the input-key table`);
  return { axis: namedAxes(key).indexOf('keypoints'), view: namedShape(key, a.shape) };
};

export const permuteKeypoints = (key: string, a: Arr, perm: readonly number[]): Arr => {
  const { axis, view } = keypointAxis(key, a);
  return permuteAxis(a, axis, perm, view);
};
export const permuteBatch = (a: Arr, perm: readonly number[]): Arr => permuteAxis(a, 0, perm);
export const mapInputs = (inputs: Inputs, f: (key: string, a: Arr) => Arr): Inputs => Object.fromEntries(Object.entries(inputs).map(([k, a]) => [k, f(k, a)]));

/** Keep the rows `idx` of axis 0 (gather). */
export const takeRows = (a: Arr, idx: readonly number[]): Arr => {
  const row = sizeOf(a.shape.slice(1));
  const out = new Float32Array(idx.length * row);
  idx.forEach((r, j) => out.set(a.data.subarray(r * row, (r + 1) * row), j * row));
  return { shape: [idx.length, ...a.shape.slice(1)], data: out };
};

// ---------------------------------------------------------------------------------------
// Running losses

/** Any built loss, called with our untyped input dictionaries. */
export type AnyLoss = Loss<any>;

export const make = (name: string, params: unknown = {}): AnyLoss => createLossOrThrow(name, params) as AnyLoss;

/** Build a pipeline (plain step specs) or throw with the issues. */
export const pipeline = (steps: StepSpec[], name = 'custom', logWeight = 0): AnyLoss => {
  const r = buildPipeline(name, logWeight, steps);
  if (either.isLeft(r)) throw new Error(formatIssues(r.left));
  return r.right as AnyLoss;
};

/**
 * The same loss on the tfjs-ops path: no fused kernel (cpu/wasm use one for the heatmap and
 * temporal families). That path is autodiff's, and the reference the kernels are held to.
 */
export const unfused = (loss: AnyLoss): AnyLoss => {
  const r = buildPipeline(loss.lossName, loss.logWeight, loss.pipeline, { fused: false });
  if (either.isLeft(r)) throw new Error(formatIssues(r.left));
  return r.right as AnyLoss;
};

export const tensorOf = (a: Arr): tf.Tensor => tf.tensor(a.data, [...a.shape], 'float32');
export const tensorsOf = (inputs: Inputs): Record<string, tf.Tensor> => Object.fromEntries(Object.entries(inputs).map(([k, a]) => [k, tensorOf(a)]));

export const disposeResult = (r: LossResult): void => tf.dispose([r.loss, r.weight, r.weighted, ...r.logs.map((l) => l.value)]);

export interface Evaluated {
  readonly loss: number;
  readonly weight: number;
  readonly weighted: number;
  readonly logs: { name: string; value: number }[];
}

/** Call a loss on plain inputs; every tensor made here is disposed before returning. */
export const evaluate = (loss: AnyLoss, inputs: Inputs, stage: Stage = 'train'): Evaluated => {
  const ts = tensorsOf(inputs);
  try {
    const r = loss(ts, stage);
    try {
      return {
        loss: r.loss.dataSync()[0],
        weight: r.weight.dataSync()[0],
        weighted: r.weighted.dataSync()[0],
        logs: r.logs.map((l) => ({ name: l.name, value: l.value.dataSync()[0] })),
      };
    } finally {
      disposeResult(r);
    }
  } finally {
    tf.dispose(Object.values(ts));
  }
};

export const lossOf = (loss: AnyLoss, inputs: Inputs): number => evaluate(loss, inputs).loss;

/** The prediction keys a loss reads that are among the inputs. */
export const predictionKeys = (loss: AnyLoss, inputs: Inputs): string[] => loss.predictions.filter((k: string) => k in inputs);

/** `tf.grads` of the unweighted loss w.r.t. `keys` (default: its prediction inputs), as arrays. */
export const gradients = (loss: AnyLoss, inputs: Inputs, keys: readonly string[] = predictionKeys(loss, inputs)): Record<string, Float32Array> => {
  const ts = tensorsOf(inputs);
  try {
    const gs = tf.grads((...xs: tf.Tensor[]) => loss({ ...ts, ...Object.fromEntries(keys.map((k, i) => [k, xs[i]])) }).loss)(keys.map((k) => ts[k]));
    try {
      return Object.fromEntries(keys.map((k, i) => [k, Float32Array.from(gs[i].dataSync())]));
    } finally {
      tf.dispose(gs);
    }
  } finally {
    tf.dispose(Object.values(ts));
  }
};

// ---------------------------------------------------------------------------------------
// Comparisons

export const close = (a: number, b: number, rtol = 1e-5, atol = 1e-6): boolean =>
  (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= atol + rtol * Math.abs(b);

export const expectClose = (actual: number, expected: number, what: string, rtol = 1e-5, atol = 1e-6): void => {
  if (!close(actual, expected, rtol, atol)) expect.fail(`${what}: expected ${expected}, got ${actual} (rtol ${rtol}, atol ${atol})`);
};

export const expectAllClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6): void => {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++)
    if (!close(actual[i], expected[i], rtol, atol)) expect.fail(`${what}[${i}]: expected ${expected[i]}, got ${actual[i]} (rtol ${rtol}, atol ${atol})`);
};

export const expectAllFinite = (xs: ArrayLike<number>, what: string): void => {
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i])) expect.fail(`${what}[${i}] is ${xs[i]}, expected finite`);
};

/** Exactly 0 (or -0) everywhere. */
export const expectAllZero = (xs: ArrayLike<number>, what: string): void => {
  for (let i = 0; i < xs.length; i++) if (xs[i] !== 0) expect.fail(`${what}[${i}] is ${xs[i]}, expected exactly 0`);
};

/** D1: a result that is exactly 0 — the loss, the weighted loss and (unless `logs` is false) the loss's log entry. */
export const expectZeroResult = (r: Evaluated, opts: { logs?: boolean } = {}): void => {
  expect(r.loss).toBe(0);
  expect(r.weighted).toBe(0);
  if (opts.logs ?? true) expect(r.logs[0].value).toBe(0);
};

// ---------------------------------------------------------------------------------------
// Finite differences

/** [quantity, threshold] pairs: where a loss changes formula (norm at 0, |d| at δ, value at ε). */
export type Kinks = (inputs: Inputs) => (readonly [number, number])[];

/**
 * Central difference of `f` at `inputs[key][index]`, the step measured in float32. `null`
 * when the point is near a kink: some quantity fed by that coordinate is within `margin` of
 * its threshold, or changes side over [x − h, x + h].
 */
export const centralDifference = (
  f: (inputs: Inputs) => number,
  inputs: Inputs,
  key: string,
  index: number,
  h: number,
  kinks?: Kinks,
  margin = 10 * h, // a norm near 0 curves fast: a central difference within a few h of the kink is off by several %
): number | null => {
  const x = inputs[key].data[index];
  const up = { ...inputs, [key]: withValue(inputs[key], index, x + h) };
  const down = { ...inputs, [key]: withValue(inputs[key], index, x - h) };
  if (kinks) {
    const [k0, k1, k2] = [kinks(inputs), kinks(up), kinks(down)];
    for (let j = 0; j < k0.length; j++) {
      const [q, t] = k0[j];
      if (k1[j][0] === q && k2[j][0] === q) continue; // not fed by this coordinate
      if (Math.abs(q - t) < margin) return null;
      const side = Math.sign(q - t);
      if (Math.sign(k1[j][0] - k1[j][1]) !== side || Math.sign(k2[j][0] - k2[j][1]) !== side) return null;
    }
  }
  const step = up[key].data[index] - down[key].data[index];
  return (f(up) - f(down)) / step;
};

/**
 * Check the analytic gradient against central differences at `coords` (indices into the
 * prediction `key`); returns how many points were checked (the rest sat near a kink).
 */
export const checkFiniteDifferences = (
  loss: AnyLoss,
  inputs: Inputs,
  key: string,
  coords: readonly number[],
  opts: { h: number; kinks?: Kinks; margin?: number; rtol?: number; atol?: number },
): number => {
  const g = gradients(loss, inputs, [key])[key];
  const f = (ins: Inputs) => lossOf(loss, ins);
  let checked = 0;
  for (const c of coords) {
    const i = c % inputs[key].data.length;
    const fd = centralDifference(f, inputs, key, i, opts.h, opts.kinks, opts.margin);
    if (fd === null) continue;
    checked++;
    const tol = (opts.atol ?? 1e-3) + (opts.rtol ?? 2e-2) * Math.abs(fd);
    if (!(Math.abs(g[i] - fd) <= tol)) expect.fail(`${loss.lossName}: d loss / d ${key}[${i}]: tf.grads ${g[i]}, central difference ${fd} (h ${opts.h})`);
  }
  return checked;
};

// ---------------------------------------------------------------------------------------
// fast-check settings

/** numRuns, with FC_SEED=<n> to replay a reported failure. */
export const runs = (numRuns: number): fc.Parameters<unknown> => ({
  numRuns,
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
});

// ---------------------------------------------------------------------------------------
// Arbitraries: values

/**
 * A finite double in [lo, hi] (stored as float32 later). Magnitudes below 1e-12 become 0:
 * denormals (and squares that underflow float32) are outside the losses' working range and
 * only tell float32 and float64 arithmetic apart.
 */
export const num = (lo: number, hi: number): fc.Arbitrary<number> =>
  fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }).map((x) => (Math.abs(x) < 1e-12 && lo <= 0 && hi >= 0 ? 0 : x));

/** NaN with weight `nan`, else `arb` (weight `rest`). */
export const orNaN = (arb: fc.Arbitrary<number>, nan = 1, rest = 4): fc.Arbitrary<number> =>
  fc.oneof({ weight: nan, arbitrary: fc.constant(NaN) }, { weight: rest, arbitrary: arb });

/** `n` values from `arb`. */
export const values = (n: number, arb: fc.Arbitrary<number>): fc.Arbitrary<Float32Array> =>
  fc.array(arb, { minLength: n, maxLength: n }).map((xs) => Float32Array.from(xs));

export const arrArb = (shape: readonly number[], arb: fc.Arbitrary<number>): fc.Arbitrary<Arr> =>
  values(sizeOf(shape), arb).map((data) => ({ shape: [...shape], data }));

/** A permutation of 0..n−1. */
export const permutation = (n: number): fc.Arbitrary<number[]> =>
  fc.shuffledSubarray(
    Array.from({ length: n }, (_, i) => i),
    { minLength: n, maxLength: n },
  );

/** Booleans true with probability about p (coarse). */
export const flag = (p: number): fc.Arbitrary<boolean> =>
  p <= 0 ? fc.constant(false) : p >= 1 ? fc.constant(true) : fc.integer({ min: 0, max: 99 }).map((i) => i < Math.round(p * 100));

export interface Dims {
  readonly B: number;
  readonly K: number;
  readonly H: number;
  readonly W: number;
}

export const dimsArb = (o: { minB?: number; maxB?: number; maxK?: number; maxH?: number; maxW?: number; minHW?: number } = {}): fc.Arbitrary<Dims> =>
  fc.record({
    B: fc.integer({ min: o.minB ?? 1, max: o.maxB ?? 6 }),
    K: fc.integer({ min: 1, max: o.maxK ?? 5 }),
    H: fc.integer({ min: o.minHW ?? 1, max: o.maxH ?? 8 }),
    W: fc.integer({ min: o.minHW ?? 1, max: o.maxW ?? 8 }),
  });

/**
 * Keypoints (B, 2K) in [−range, range]. `nan`: 'none'; 'coord' (x and y NaN independently);
 * 'pair' (a keypoint is NaN in both coordinates or in neither).
 */
export const keypointsArb = (B: number, K: number, o: { range?: number; nan?: 'none' | 'coord' | 'pair'; nanRate?: number } = {}): fc.Arbitrary<Arr> => {
  const r = o.range ?? 10;
  const v = num(-r, r);
  const rate = o.nanRate ?? 0.2;
  if (!o.nan || o.nan === 'none') return arrArb([B, 2 * K], v);
  if (o.nan === 'coord')
    return arrArb(
      [B, 2 * K],
      fc.tuple(flag(rate), v).map(([n, x]) => (n ? NaN : x)),
    );
  return fc.array(fc.tuple(flag(rate), v, v), { minLength: B * K, maxLength: B * K }).map((ps) =>
    arr(
      [B, 2 * K],
      ps.flatMap(([n, x, y]) => (n ? [NaN, NaN] : [x, y])),
    ),
  );
};

/**
 * Confidences (B, K) in [0, 1], with the ends and a few round values over-represented, and
 * the odd NaN (never "below" a threshold, as in the reference's strict `<`).
 */
export const confidencesArb = (B: number, K: number): fc.Arbitrary<Arr> =>
  arrArb(
    [B, K],
    fc.oneof({ weight: 6, arbitrary: num(0, 1) }, { weight: 3, arbitrary: fc.constantFrom(0, 0.05, 0.5, 1) }, { weight: 1, arbitrary: fc.constant(NaN) }),
  );

/**
 * A threshold in [0, 1], representable in float32 (thresholds that float32 rounds are the
 * subject of their own property in temporal.test.ts).
 */
export const thresholdArb: fc.Arbitrary<number> = fc.oneof(num(0, 1), fc.constantFrom(0, 0.05, 0.5, 1)).map(Math.fround);

/**
 * Heatmaps (B, K, H, W).
 * - `normalised` (default): non-negative maps summing to 1, with exact-zero pixels; a map
 *   is all-zero (an unlabeled keypoint) with probability `empty`.
 * - `positive: [lo, hi]`: unnormalised pixels in [lo, hi] (smooth KL for finite differences).
 */
export const heatmapsArb = (d: Dims, o: { empty?: number; zeros?: boolean; positive?: readonly [number, number] } = {}): fc.Arbitrary<Arr> => {
  const hw = d.H * d.W;
  const shape = [d.B, d.K, d.H, d.W];
  if (o.positive) return arrArb(shape, num(o.positive[0], o.positive[1]));
  const pixel = o.zeros === false ? num(0.01, 1) : fc.oneof(fc.constant(0), num(0, 1));
  const map = fc.tuple(flag(o.empty ?? 0), fc.array(pixel, { minLength: hw, maxLength: hw }), fc.nat(hw - 1)).map(([empty, px, peak]) => {
    if (empty) return px.map(() => 0);
    const raw = [...px];
    raw[peak] = Math.max(raw[peak], 0.1); // never all-zero unless asked
    const s = raw.reduce((a, b) => a + b, 0);
    return raw.map((v) => v / s);
  });
  return fc.array(map, { minLength: d.B * d.K, maxLength: d.B * d.K }).map((maps) => arr(shape, maps.flat()));
};

/** Whether map (b, k) of a (B, K, H, W) array is all-zero. */
export const emptyMaps = (a: Arr): boolean[] => {
  const [B, K, H, W] = a.shape;
  const hw = H * W;
  return Array.from({ length: B * K }, (_, m) => a.data.subarray(m * hw, (m + 1) * hw).every((v) => v === 0));
};

/** Epsilon: a scalar in [lo, hi] or a list of K such values. */
export const epsilonArb = (K: number, lo = 0, hi = 5): fc.Arbitrary<number | number[]> =>
  fc.oneof(num(lo, hi), fc.array(num(lo, hi), { minLength: K, maxLength: K }));

export const logWeightArb: fc.Arbitrary<number> = fc.oneof(num(-20, 20), fc.constantFrom(0, Math.log(0.5), 10.7, 11));
