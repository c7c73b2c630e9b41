/**
 * Pieces the steps' plain-JS references and input generators share: plain arrays, float64
 * formulas used by several families, and fast-check generators (fast-check is handed in by
 * the tests; nothing here runs in the library).
 */

import { INPUT_KEYS, INPUT_TABLE, type InputKey, isInputKey, type KeyKind } from '../pipeline/keys.js';
import type { Arbitrary, CaseDims, CaseOptions, FastCheck, Plain, StepCase, StepSpec } from '../pipeline/step.js';

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const plain = (shape: readonly number[], data: ArrayLike<number>): Plain => {
  if (data.length !== sizeOf(shape)) throw new Error(`plain: ${data.length} values for shape (${shape.join(',')})`);
  return { shape: [...shape], data };
};

/** Float64 output of `f` at every index of `shape`. */
export const tabulate = (shape: readonly number[], f: (i: number) => number): Plain =>
  plain(
    shape,
    Float64Array.from({ length: sizeOf(shape) }, (_, i) => f(i)),
  );

export const relu = (x: number): number => (x > 0 ? x : 0);

/** The (b, k) maps of a (B, K, H, W) array, row-major. */
export const maps = (a: Plain): ArrayLike<number>[] => {
  const hw = a.shape[2] * a.shape[3];
  const d = Array.from(a.data);
  return Array.from({ length: a.shape[0] * a.shape[1] }, (_, m) => d.slice(m * hw, (m + 1) * hw));
};

/** The reference's KL offset: T = t + 1e-10, P = p + 1e-10, no renormalisation. */
export const KL_OFFSET = 1e-10;

export const klMap = (t: ArrayLike<number>, p: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < t.length; i++) {
    const T = t[i] + KL_OFFSET;
    s += T * (Math.log(T) - Math.log(p[i] + KL_OFFSET));
  }
  return s;
};

export const jsMap = (t: ArrayLike<number>, p: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < t.length; i++) {
    const T = t[i] + KL_OFFSET;
    const P = p[i] + KL_OFFSET;
    const M = (T + P) / 2;
    s += 0.5 * (T * (Math.log(T) - Math.log(M)) + P * (Math.log(P) - Math.log(M)));
  }
  return s;
};

// ---------------------------------------------------------------------------------------
// Generators

export interface Dims {
  readonly B: number;
  readonly K: number;
  readonly H: number;
  readonly W: number;
}

export const dimsArb = (fc: FastCheck, o: { minB?: number; maxB?: number } = {}): Arbitrary<Dims> =>
  fc.record({
    B: fc.integer({ min: o.minB ?? 1, max: o.maxB ?? 5 }),
    K: fc.integer({ min: 1, max: 4 }),
    H: fc.integer({ min: 1, max: 6 }),
    W: fc.integer({ min: 1, max: 6 }),
  });

/** A finite value in [lo, hi]; magnitudes below 1e-12 become 0 (denormals only tell float32 from float64). */
export const num = (fc: FastCheck, lo: number, hi: number): Arbitrary<number> =>
  fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }).map((x) => (Math.abs(x) < 1e-12 ? 0 : x));

/** Float32 values of `shape` from `value`; NaN with probability about `nan`. */
export const arrayArb = (fc: FastCheck, shape: readonly number[], value: Arbitrary<number>, nan = 0): Arbitrary<Plain> =>
  fc
    .array(
      nan > 0 ? fc.oneof({ weight: Math.round(100 * nan), arbitrary: fc.constant(NaN) }, { weight: Math.round(100 * (1 - nan)), arbitrary: value }) : value,
      {
        minLength: sizeOf(shape),
        maxLength: sizeOf(shape),
      },
    )
    .map((xs) => plain(shape, Float32Array.from(xs)));

/** Confidences in [0, 1], the ends and round values over-represented, the odd NaN. */
export const confidenceArb = (fc: FastCheck): Arbitrary<number> =>
  fc.oneof({ weight: 6, arbitrary: num(fc, 0, 1) }, { weight: 3, arbitrary: fc.constantFrom(0, 0.05, 0.5, 1) }, { weight: 1, arbitrary: fc.constant(NaN) });

/** Non-negative maps summing to 1 with exact-zero pixels; all-zero (an unlabeled keypoint) with probability `empty`. */
export const heatmapsArb = (fc: FastCheck, d: Dims, empty = 0): Arbitrary<Plain> => {
  const hw = d.H * d.W;
  const map = fc
    .tuple(fc.integer({ min: 0, max: 99 }), fc.array(fc.oneof(fc.constant(0), num(fc, 0, 1)), { minLength: hw, maxLength: hw }), fc.nat(hw - 1))
    .map(([e, px, peak]) => {
      if (e < 100 * empty) return px.map(() => 0);
      px[peak] = Math.max(px[peak], 0.1);
      const s = px.reduce((a, b) => a + b, 0);
      return px.map((v) => v / s);
    });
  return fc.array(map, { minLength: d.B * d.K, maxLength: d.B * d.K }).map((ms) => plain([d.B, d.K, d.H, d.W], Float32Array.from(ms.flat())));
};

export type KeyDims = CaseDims;

export const keyDimsArb = (fc: FastCheck, o: { minB?: number; maxB?: number } = {}): Arbitrary<KeyDims> =>
  fc.tuple(dimsArb(fc, o), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 3 })).map(([d, P, V]) => ({ ...d, P, V }));

/** The sizes a pipeline fixed, else random ones. */
export const dimsOf = (fc: FastCheck, opts: CaseOptions = {}): Arbitrary<KeyDims> => (opts.dims ? fc.constant(opts.dims) : keyDimsArb(fc));

/** The keys a spec reads (`of`: one key or a list). */
export const ofKeys = (spec: StepSpec): InputKey[] => (typeof spec.of === 'string' ? [spec.of] : (spec.of as string[])) as InputKey[];

/** The pipeline's spec, else a spec from drawn keys and parameters. */
export const specArb = (fc: FastCheck, opts: CaseOptions, keys: Arbitrary<InputKey[]>, make: (keys: InputKey[]) => Arbitrary<StepSpec>): Arbitrary<StepSpec> =>
  opts.spec ? fc.constant(opts.spec) : keys.chain(make);

/** The shape of an input key's tensor, from its named axes in the input-key table. */
export const shapeOf = (key: InputKey, d: KeyDims): number[] =>
  INPUT_TABLE[key].axes.map((a: string) => (a === '2K' ? 2 * d.K : a in d ? d[a as keyof KeyDims] : Number(a)));

/** Input keys of these kinds (all, or only targets / predictions), from the table. */
export const keysOf = (kinds: readonly KeyKind[], prediction?: boolean): InputKey[] =>
  INPUT_KEYS.filter((k) => kinds.includes(INPUT_TABLE[k].kind) && (prediction === undefined || INPUT_TABLE[k].prediction === prediction));

/** [target, prediction] key pairs of these kinds whose axes agree (same-shape computes). */
export const sameShapePairs = (kinds: readonly KeyKind[]): [InputKey, InputKey][] =>
  keysOf(kinds, false).flatMap((t) =>
    keysOf(kinds, true)
      .filter((p) => INPUT_TABLE[p].axes.join() === INPUT_TABLE[t].axes.join())
      .map((p): [InputKey, InputKey] => [t, p]),
  );

/**
 * Where each element of a key's tensor sits on its keypoint grid (the axes up to the keypoint
 * axis `K` / `2K`, from the table): the grid's shape and the grid index of element i.
 */
export const keypointGrid = (key: InputKey, shape: readonly number[]): { shape: number[]; of: (i: number) => number } => {
  const axes: readonly string[] = INPUT_TABLE[key].axes;
  const kAxis = axes.findIndex((a) => a === 'K' || a === '2K');
  const grid = shape.slice(0, kAxis + 1).map((n, j) => (axes[j] === '2K' ? n / 2 : n));
  const inner = sizeOf(shape.slice(kAxis + 1));
  const pair = axes[kAxis] === '2K' ? 2 : 1;
  return { shape: grid, of: (i) => Math.floor(Math.floor(i / inner) / pair) };
};

/** Values for a key: normalised maps for heatmaps (targets with empty maps), else finite values in [−range, range]. */
export const valuesArb = (fc: FastCheck, key: InputKey, d: KeyDims, range = 10): Arbitrary<Plain> =>
  INPUT_TABLE[key].kind === 'heatmaps'
    ? heatmapsArb(fc, { ...d, B: shapeOf(key, d)[0] }, INPUT_TABLE[key].prediction ? 0 : 0.3)
    : arrayArb(fc, shapeOf(key, d), num(fc, -range, range));

/** Inputs for every key a spec reads, drawn by `values`, with the spec. */
export const casesOf = (
  fc: FastCheck,
  opts: CaseOptions,
  spec: Arbitrary<StepSpec>,
  values: (key: InputKey, d: KeyDims) => Arbitrary<Plain> = (key, d) => valuesArb(fc, key, d),
  keys: (spec: StepSpec) => string[] = ofKeys,
): Arbitrary<StepCase> =>
  fc.tuple(spec, dimsOf(fc, opts)).chain(([s, d]) => {
    // keys a transform makes are drawn by the transform's case
    const read = keys(s).filter(isInputKey);
    return fc.tuple(...read.map((k) => values(k, d))).map((xs): StepCase => ({ spec: s, inputs: Object.fromEntries(read.map((k, i) => [k, xs[i]])) }));
  });

/** A compute reading a [target, prediction] pair of equal shapes, with its own parameters. */
export const pairCases = (
  fc: FastCheck,
  compute: string,
  kinds: readonly KeyKind[],
  params: Arbitrary<Record<string, unknown>> = fc.constant({}),
  opts: CaseOptions = {},
): Arbitrary<StepCase> =>
  casesOf(
    fc,
    opts,
    specArb(fc, opts, fc.constantFrom(...sameShapePairs(kinds)), (of) => params.map((ps) => ({ compute, of, ...ps }))),
  );

/** A mask on one key of these kinds (values from `values`), with a random mode and its own parameters. */
export const maskCases = (
  fc: FastCheck,
  mask: string,
  kinds: readonly KeyKind[],
  values: (key: InputKey, d: KeyDims) => Arbitrary<Plain>,
  opts: CaseOptions = {},
  params: Arbitrary<Record<string, unknown>> = fc.constant({}),
): Arbitrary<StepCase> =>
  casesOf(
    fc,
    opts,
    specArb(
      fc,
      opts,
      fc.constantFrom(...keysOf(kinds)).map((k) => [k]),
      ([of]) => fc.tuple(fc.constantFrom('drop', 'zero'), params).map(([mode, ps]) => ({ mask, of, mode, ...ps })),
    ),
    values,
  );

/** Keypoint-level validity: a keypoint is valid iff every element of it is (`ok` per element). */
export const perKeypoint = (key: InputKey, x: Plain, ok: (v: number) => boolean): Plain => {
  const g = keypointGrid(key, x.shape);
  const w = new Float64Array(sizeOf(g.shape)).fill(1);
  for (let i = 0; i < x.data.length; i++) if (!ok(x.data[i])) w[g.of(i)] = 0;
  return plain(g.shape, w);
};

export const total = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
};
