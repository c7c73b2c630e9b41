import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { metricCsv } from '../../src/metrics/csv.js';
import { pixelError, temporalNorm } from '../../src/metrics/index.js';
import { keypointStats } from '../../src/metrics/stats.js';
import { thinByMax } from '../../src/report/downsample.js';
import { histograms } from '../../src/report/histogram.js';

/** Coordinates exactly representable in float32 with room to add (pixel range, 1/64 px steps). */
const coord = fc.integer({ min: -64 * 2048, max: 64 * 2048 }).map((i) => i / 64);
const maybeNaN = fc.oneof({ weight: 9, arbitrary: coord }, { weight: 1, arbitrary: fc.constant(NaN) });

const poses = (frames: { min: number; max: number }, cell = coord) =>
  fc
    .integer({ min: 1, max: 5 })
    .chain((k) =>
      fc.integer(frames).chain((n) => fc.record({ n: fc.constant(n), k: fc.constant(k), xy: fc.array(cell, { minLength: n * k * 2, maxLength: n * k * 2 }) })),
    );

const values = (t: tf.Tensor): number[] => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

describe('metric properties', () => {
  it('temporal norm of a constant sequence is 0 (first row NaN)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 30 }),
        fc.array(coord, { minLength: 2, maxLength: 10 }).filter((a) => a.length % 2 === 0),
        (n, pose) => {
          const x = tf.tensor3d(Array.from({ length: n }, () => pose).flat(), [n, pose.length / 2, 2]);
          const v = values(temporalNorm(x));
          x.dispose();
          const k = pose.length / 2;
          expect(v.slice(0, k).every(Number.isNaN)).toBe(true);
          expect(v.slice(k).every((e) => e === 0)).toBe(true);
        },
      ),
    );
  });

  it('temporal norm of a shifted copy is unchanged', () => {
    fc.assert(
      fc.property(poses({ min: 2, max: 12 }, maybeNaN), coord, coord, ({ n, k, xy }, dx, dy) => {
        const a = tf.tensor3d(xy, [n, k, 2]);
        const b = tf.tensor3d(
          xy.map((v, i) => v + (i % 2 === 0 ? dx : dy)),
          [n, k, 2],
        );
        const va = values(temporalNorm(a));
        const vb = values(temporalNorm(b));
        tf.dispose([a, b]);
        // coordinates and shifts are exact in float32, so the differences are exact too
        va.forEach((v, i) => (Number.isNaN(v) ? expect(vb[i]).toBeNaN() : expect(vb[i]).toBe(v)));
      }),
    );
  });

  it('pixel error is symmetric, zero on identical inputs, NaN where either is NaN', () => {
    fc.assert(
      fc.property(
        poses({ min: 1, max: 8 }, maybeNaN).chain((p) =>
          fc.record({ p: fc.constant(p), q: fc.array(maybeNaN, { minLength: p.xy.length, maxLength: p.xy.length }) }),
        ),
        ({ p: { n, k, xy }, q }) => {
          const a = tf.tensor3d(xy, [n, k, 2]);
          const b = tf.tensor3d(q, [n, k, 2]);
          const ab = values(pixelError(a, b));
          const ba = values(pixelError(b, a));
          const aa = values(pixelError(a, a));
          tf.dispose([a, b]);
          expect(ba).toEqual(ab);
          aa.forEach((v, i) => (Number.isNaN(xy[2 * i]) || Number.isNaN(xy[2 * i + 1]) ? expect(v).toBeNaN() : expect(v).toBe(0)));
          ab.forEach((v, i) => {
            const nan = [xy[2 * i], xy[2 * i + 1], q[2 * i], q[2 * i + 1]].some(Number.isNaN);
            if (nan) expect(v).toBeNaN();
            else expect(v).toBeGreaterThanOrEqual(0);
          });
        },
      ),
    );
  });
});

describe('summary statistics, CSV layout, plot data', () => {
  it('keypointStats: median / p95 as numpy (linear), max, fraction over epsilon; NaN frames left out', () => {
    // keypoint 0: 1..10 with a NaN frame; keypoint 1: all NaN
    const rows = 11;
    const v = new Float64Array(rows * 2).fill(NaN);
    for (let r = 0; r < 10; r++) v[r * 2] = r + 1;
    const [a, b] = keypointStats(v, rows, 2, [7, 1]);
    expect({ ...a, p95: 0 }).toEqual({ frames: 10, median: 5.5, p95: 0, max: 10, epsilon: 7, overEpsilon: 0.3 });
    expect(a.p95).toBeCloseTo(9.55, 12);
    expect(b.frames).toBe(0);
    expect(b.median).toBeNaN();
    expect(b.overEpsilon).toBeNull();
    expect(keypointStats(v, rows, 2, null)[0].overEpsilon).toBeNull();
  });

  it('metricCsv: pandas-like numbers, empty NaN cells, quoted index cells', () => {
    expect(metricCsv(['0', 'a,b'], ['k1', 'k2'], Float32Array.from([NaN, 2, 0.1, 1e-7]))).toBe(
      ',k1,k2\n0,,2.0\n"a,b",0.10000000149011612,1.0000000116860974e-7\n',
    );
    expect(metricCsv(['img.png'], ['k'], [3], ['train'])).toBe(',k,set\nimg.png,3.0,train\n');
  });

  it('thinByMax keeps every spike; histograms sum to 1 per keypoint', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: 0, max: 1000, noNaN: true }), fc.constant(NaN)), { minLength: 2, maxLength: 400 }),
        fc.integer({ min: 1, max: 50 }),
        (vals, points) => {
          const rows = Math.floor(vals.length / 2);
          const t = thinByMax(vals, rows, 2, points);
          expect(t.x.length).toBeLessThanOrEqual(points + 1);
          for (let k = 0; k < 2; k++) {
            const col = Array.from({ length: rows }, (_, r) => vals[r * 2 + k]).filter((v) => !Number.isNaN(v));
            const drawn = t.y[k].filter((v): v is number => v !== null);
            expect(drawn.length ? Math.max(...drawn) : -Infinity).toBe(col.length ? Math.max(...col) : -Infinity);
            const h = histograms(vals.slice(0, rows * 2), rows, 2);
            const sum = h.y[k].reduce((s, v) => s + v, 0);
            if (col.length) expect(sum).toBeCloseTo(1, 9);
            else expect(sum).toBe(0);
          }
        },
      ),
    );
  });
});
