import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import {
  chooseComponentCount,
  fitKeypointPca,
  type Matrix64,
  nanMeanColumns,
  nanPercentile,
  type PcaFit,
  type Precision,
  pairwiseCovariance,
  reprojectionError,
} from '../../src/pca/index.js';
import { gaussian, keypointData, rng } from './random.js';

const fitOf = (x: Matrix64, n: number | 'all' = 'all'): PcaFit => {
  const r = fitKeypointPca(x, {
    format: { kind: 'singleview', columns: null, centering: null },
    componentsToKeep: n === 'all' ? { kind: 'all' } : { kind: 'count', n },
    percentile: 99,
  });
  if (either.isLeft(r)) throw new Error(r.left);
  return r.right;
};

/** A fit on random keypoint data plus a random number of kept components. */
const arbFit = fc
  .record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    k: fc.integer({ min: 2, max: 7 }),
    extra: fc.integer({ min: 0, max: 40 }),
    nanRate: fc.constantFrom(0, 0, 0.1),
    keepFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ seed, k, extra, nanRate, keepFrac }) => {
    const x = keypointData(seed, 2 * k + extra, k, nanRate);
    const d = 2 * k;
    const nKept = Math.min(d - 1, Math.max(1, Math.round(keepFrac * d)));
    return { fit: fitOf(x, nKept), seed };
  });

/** mean + Σ a_i e_i for kept rows e_i. */
const inSubspace = (f: PcaFit, coef: (i: number) => number): Float64Array => {
  const d = f.mean.length;
  const p = Float64Array.from(f.mean);
  for (let i = 0; i < f.kept.rows; i++) {
    const a = coef(i);
    for (let c = 0; c < d; c++) p[c] += a * f.kept.data[i * d + c];
  }
  return p;
};

const errOf = (f: PcaFit, p: Float64Array, precision: Precision): Float64Array =>
  reprojectionError({ data: p, rows: 1, cols: p.length }, f.mean, f.kept, precision).data;

const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, a) => s + a * a, 0));

// float32 arithmetic rounds each stored value to ~6e-8 relative; a few roundings per entry
const relTol: Record<Precision, number> = { float64: 1e-6, float32: 1e-5 };

describe('reprojection properties', () => {
  for (const precision of ['float64', 'float32'] as const) {
    it(`a point in the kept subspace has zero error (${precision})`, () => {
      fc.assert(
        fc.property(arbFit, fc.integer({ min: 1, max: 2 ** 31 - 1 }), ({ fit }, s) => {
          const r = rng(s);
          const p = inSubspace(fit, () => 100 * gaussian(r));
          const err = errOf(fit, p, precision);
          expect(Math.max(...err)).toBeLessThanOrEqual(relTol[precision] * norm(p));
        }),
        { numRuns: 200 },
      );
    });

    it(`the error is invariant to adding kept components (${precision})`, () => {
      fc.assert(
        fc.property(arbFit, fc.integer({ min: 1, max: 2 ** 31 - 1 }), ({ fit }, s) => {
          const r = rng(s);
          const d = fit.mean.length;
          const x = Float64Array.from({ length: d }, (_, c) => fit.mean[c] + 30 * gaussian(r));
          const moved = Float64Array.from(x);
          for (let i = 0; i < fit.kept.rows; i++) {
            const b = 100 * gaussian(r);
            for (let c = 0; c < d; c++) moved[c] += b * fit.kept.data[i * d + c];
          }
          const e0 = errOf(fit, x, precision);
          const e1 = errOf(fit, moved, precision);
          const tol = relTol[precision] * Math.max(norm(x), norm(moved));
          for (let j = 0; j < e0.length; j++) expect(Math.abs(e0[j] - e1[j])).toBeLessThanOrEqual(tol);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('the error grows with the distance along a discarded component (total error = distance)', () => {
    fc.assert(
      fc.property(
        arbFit,
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        ({ fit }, s, t1, dt) => {
          const r = rng(s);
          const d = fit.mean.length;
          const j = Math.floor(r() * fit.discarded.rows);
          const base = inSubspace(fit, () => 50 * gaussian(r));
          const along = (t: number): Float64Array => Float64Array.from(base, (v, c) => v + t * fit.discarded.data[j * d + c]);
          const total = (t: number): number => norm(errOf(fit, along(t), 'float64'));
          const a = total(t1);
          const b = total(t1 + dt);
          expect(Math.abs(a - t1)).toBeLessThanOrEqual(1e-6 * (norm(base) + t1));
          expect(Math.abs(b - (t1 + dt))).toBeLessThanOrEqual(1e-6 * (norm(base) + t1 + dt));
          expect(b).toBeGreaterThan(a);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a NaN anywhere in a row makes the whole row NaN, other rows unaffected', () => {
    fc.assert(
      fc.property(arbFit, fc.nat(), ({ fit }, at) => {
        const x = { data: Float64Array.from(fit.formattedFit.data.subarray(0, 2 * fit.mean.length)), rows: 2, cols: fit.mean.length };
        x.data.fill(0.5);
        x.data[at % fit.mean.length] = NaN;
        const e = reprojectionError(x, fit.mean, fit.kept);
        for (let c = 0; c < e.cols; c++) {
          expect(Number.isNaN(e.data[c])).toBe(true);
          expect(Number.isFinite(e.data[e.cols + c])).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('fit properties', () => {
  it('components are orthonormal, variances descending and ≥ 0, ratios sum to 1, sign rule holds', () => {
    fc.assert(
      fc.property(arbFit, ({ fit }) => {
        const { data, rows, cols } = fit.components;
        expect(rows).toBe(cols);
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < rows; j++) {
            let dot = 0;
            for (let c = 0; c < cols; c++) dot += data[i * cols + c] * data[j * cols + c];
            expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-9);
          }
          let best = 0;
          for (let c = 1; c < cols; c++) if (Math.abs(data[i * cols + c]) > Math.abs(data[i * cols + best])) best = c;
          expect(data[i * cols + best]).toBeGreaterThan(0);
        }
        const ev = fit.explainedVariance;
        for (let i = 0; i < ev.length; i++) {
          expect(ev[i]).toBeGreaterThanOrEqual(0);
          if (i > 0) expect(ev[i]).toBeLessThanOrEqual(ev[i - 1]);
        }
        const sum = fit.explainedVarianceRatio.reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
        expect(fit.kept.rows + fit.discarded.rows).toBe(rows);
        expect(Array.from(fit.kept.data)).toEqual(Array.from(data.subarray(0, fit.nKept * cols)));
      }),
      { numRuns: 150 },
    );
  });

  it('the empirical epsilon is the percentile of the complete rows’ errors', () => {
    fc.assert(
      fc.property(arbFit, ({ fit }) => {
        const e = fit.fitReprojectionError;
        const finite: number[] = [];
        for (let r = 0; r < e.rows; r++) {
          const row = Array.from(e.data.subarray(r * e.cols, (r + 1) * e.cols));
          const rowNaN = Array.from(fit.formattedFit.data.subarray(r * fit.mean.length, (r + 1) * fit.mean.length)).some(Number.isNaN);
          expect(row.every(Number.isNaN)).toBe(rowNaN);
          if (!rowNaN) finite.push(...row);
        }
        expect(fit.epsilonEmpirical).toBe(nanPercentile(finite, 99));
      }),
      { numRuns: 50 },
    );
  });
});

describe('choosing the number of components', () => {
  const arbRatio = fc
    .array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 20 })
    .filter((a) => a.reduce((s, v) => s + v, 0) > 0)
    .map((a) => {
      const s = a.reduce((t, v) => t + v, 0);
      return Float64Array.from(a.map((v) => v / s).sort((x, y) => y - x));
    });
  const arbFrac = fc.double({ min: 1e-6, max: 1, noNaN: true });

  it('is monotone in the variance fraction and is the smallest n reaching it', () => {
    fc.assert(
      fc.property(arbRatio, arbFrac, arbFrac, (ratio, f1, f2) => {
        const [lo, hi] = f1 <= f2 ? [f1, f2] : [f2, f1];
        const n1 = chooseComponentCount(ratio, { kind: 'fraction', f: lo });
        const n2 = chooseComponentCount(ratio, { kind: 'fraction', f: hi });
        if (either.isLeft(n1) || either.isLeft(n2)) throw new Error('unexpected Left');
        expect(n1.right).toBeLessThanOrEqual(n2.right);
        expect(n1.right).toBeGreaterThanOrEqual(1);
        // f = 1 keeps every component, as the reference (float == 1.0 → all), even when fewer reach it
        // (trailing zero ratios): "smallest n" holds below 1 (fast-check found [1, 0] with f = 1)
        if (lo === 1) return expect(n1.right).toBe(ratio.length);
        let cum = 0;
        for (let i = 0; i < n1.right - 1; i++) cum += ratio[i];
        expect(cum).toBeLessThan(lo);
      }),
      { numRuns: 500 },
    );
  });

  it('count (in [1, dimensions]; outside it an error) and all', () => {
    fc.assert(
      fc.property(arbRatio, fc.nat(), (ratio, n) => {
        const c = n % (ratio.length + 1);
        expect(chooseComponentCount(ratio, { kind: 'count', n: c })).toEqual(
          c === 0 ? either.left(expect.stringContaining(`outside [1, ${ratio.length}]`)) : either.right(c),
        );
        expect(either.isLeft(chooseComponentCount(ratio, { kind: 'count', n: ratio.length + 1 }))).toBe(true);
        expect(chooseComponentCount(ratio, { kind: 'all' })).toEqual(either.right(ratio.length));
        expect(chooseComponentCount(ratio, { kind: 'fraction', f: 1 })).toEqual(either.right(ratio.length));
      }),
    );
  });
});

describe('nanPercentile', () => {
  /** numpy linear interpolation on a sorted copy. */
  const bruteForce = (values: number[], p: number): number => {
    const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
    if (s.length === 0) return NaN;
    const rank = (p / 100) * (s.length - 1);
    const lo = Math.floor(rank);
    const hi = Math.min(lo + 1, s.length - 1);
    const t = rank - lo;
    return t >= 0.5 ? s[hi] - (s[hi] - s[lo]) * (1 - t) : s[lo] + (s[hi] - s[lo]) * t;
  };
  const value = fc.oneof(
    fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    fc.constant(NaN),
    fc.integer({ min: -3, max: 3 }), // ties
  );

  it('equals sort + interpolate on random data with NaNs', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 300 }), fc.double({ min: 0, max: 100, noNaN: true }), (vals, p) => {
        const got = nanPercentile(vals, p);
        const want = bruteForce(vals, p);
        if (Number.isNaN(want)) expect(got).toBeNaN();
        else expect(got === want, `${got} vs ${want}`).toBe(true); // === : −0 and +0 are the same percentile
      }),
      { numRuns: 1000 },
    );
  });

  it('numpy examples', () => {
    expect(nanPercentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(nanPercentile([NaN, 10, 7, 4, 3, 2, 1], 50)).toBe(3.5);
    expect(nanPercentile([10, 7, 4, 3, 2, 1], 99)).toBeCloseTo(9.85, 12);
    expect(nanPercentile([5], 0)).toBe(5);
    expect(nanPercentile([NaN, NaN], 50)).toBeNaN();
    expect(nanPercentile(new Float64Array(0), 50)).toBeNaN();
    expect(() => nanPercentile([1], 101)).toThrow(RangeError);
  });
});

describe('pairwise-complete covariance', () => {
  const plainCov = (x: Matrix64): Float64Array => {
    const { data, rows, cols } = x;
    const mean = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c] / rows;
    const out = new Float64Array(cols * cols);
    for (let i = 0; i < cols; i++)
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += (data[r * cols + i] - mean[i]) * (data[r * cols + j] - mean[j]);
        out[i * cols + j] = s / (rows - 1);
      }
    return out;
  };

  it('equals the plain covariance when there are no NaNs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 40 }), (seed, k, rows) => {
        const x = keypointData(seed, rows, k);
        const got = pairwiseCovariance(x, nanMeanColumns(x)).data;
        const want = plainCov(x);
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(want[i])));
      }),
      { numRuns: 200 },
    );
  });

  it('uses only the rows where both columns are observed, centred by each column’s nanmean', () => {
    const x: Matrix64 = {
      data: Float64Array.from([1, 2, NaN, 4, 3, 6, 5, NaN]),
      rows: 4,
      cols: 2,
    };
    const mean = nanMeanColumns(x); // [3, 4]
    expect(Array.from(mean)).toEqual([3, 4]);
    const c = pairwiseCovariance(x, mean).data;
    expect(c[0]).toBeCloseTo((4 + 0 + 4) / 2, 12); // column 0: 1, 3, 5
    expect(c[3]).toBeCloseTo((4 + 0 + 4) / 2, 12); // column 1: 2, 4, 6
    expect(c[1]).toBeCloseTo(((1 - 3) * (2 - 4) + (3 - 3) * (6 - 4)) / 1, 12); // rows 0 and 2
    expect(c[2]).toBe(c[1]);
  });
});
