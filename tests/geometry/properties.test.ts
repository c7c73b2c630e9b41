import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Camera } from '../../src/config/calibration.js';
import { type CameraTensors, cameraTensors, disposeCameras } from '../../src/geometry/cameraTensors.js';
import { multiviewGeometry } from '../../src/geometry/multiview.js';
import { medianOfPairs, triangulatePairs } from '../../src/geometry/pairwise.js';
import { project } from '../../src/geometry/project.js';
import {
  medianOfPairsRef,
  nanMedianRef,
  type Point2,
  type Point3,
  pairwiseRef,
  projectRef,
  triangulateRef,
  undistortRef,
} from '../../src/geometry/reference.js';
import { reprojectionError } from '../../src/geometry/reprojection.js';
import { triangulate } from '../../src/geometry/triangulate.js';
import { undistort } from '../../src/geometry/undistort.js';
import { nanMedian } from '../../src/ops/nanMedian.js';
import { nanMedianSmall } from '../../src/ops/nanMedianSmall.js';
import { expectAllClose, expectAllFinite, runs } from '../property/arbitraries.js';
import { observe, pointArb, rigArb } from './rig.js';

/** A case: rig, points, noisy observations with some views missing, per-view weights. */
const caseArb = (o: { noise?: number; drop?: boolean; distortion?: boolean; minV?: number } = {}) =>
  rigArb({ distortion: o.distortion, minV: o.minV }).chain((cams) =>
    fc.array(pointArb, { minLength: 1, maxLength: 5 }).chain((points) => {
      const n = cams.length * points.length;
      return fc.record({
        cams: fc.constant(cams),
        points: fc.constant(points),
        noise: fc.array(fc.double({ min: -(o.noise ?? 0), max: o.noise ?? 0, noNaN: true }), { minLength: 2 * n, maxLength: 2 * n }),
        drop: o.drop ? fc.array(fc.boolean(), { minLength: n, maxLength: n }) : fc.constant([] as boolean[]),
        weights: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0.05, max: 1, noNaN: true })), { minLength: n, maxLength: n }),
      });
    }),
  );

const withCams = <T>(cams: readonly Camera[], f: (c: CameraTensors) => T): T => {
  const c = cameraTensors(cams);
  try {
    return f(c);
  } finally {
    disposeCameras(c);
  }
};

const at = (a: Float64Array | Float32Array, i: number): Point2 | null =>
  Number.isFinite(a[2 * i]) && Number.isFinite(a[2 * i + 1]) ? [a[2 * i], a[2 * i + 1]] : null;

/** Per point n, the views' 2-D entries of a flattened (V, N, 2) array. */
const viewsOf = (a: Float64Array | Float32Array, V: number, N: number, n: number) => Array.from({ length: V }, (_, v) => at(a, v * N + n));

/** |a − b| ≤ tol · scale for 3-D points, with the NaN patterns equal. */
const expectPoints = (got: ArrayLike<number>, want: readonly (Point3 | null)[], atol: number, what: string) => {
  want.forEach((p, n) => {
    for (let c = 0; c < 3; c++) {
      const g = got[3 * n + c];
      if (p === null) expect(Number.isNaN(g), `${what}[${n}][${c}]: expected NaN, got ${g}`).toBe(true);
      else if (!(Math.abs(g - p[c]) <= atol)) expect.fail(`${what}[${n}][${c}]: expected ${p[c]}, got ${g} (atol ${atol})`);
    }
  });
};

describe('geometry against the float64 references', () => {
  it('undistort (5 steps) and project match, missing points stay NaN', () => {
    fc.assert(
      fc.property(caseArb({ noise: 2, drop: true }), ({ cams, points, noise, drop }) => {
        const V = cams.length;
        const N = points.length;
        const obs = observe(cams, points, noise, drop);
        withCams(cams, (ct) => {
          const und = tf.tidy(() => undistort(tf.tensor3d(Float32Array.from(obs), [V, N, 2]), ct).dataSync());
          const want = Array.from({ length: V * N }, (_, i) => at(obs, i)).flatMap((p, i) =>
            p ? undistortRef([Math.fround(p[0]), Math.fround(p[1])], cams[Math.floor(i / N)]) : [NaN, NaN],
          );
          expectAllClose(und, want, 'undistorted', 0, 2e-7);
          const proj = tf.tidy(() => project(tf.tensor2d(points.flat(), [N, 3]), ct).dataSync());
          const wantP = cams.flatMap((c) => points.flatMap((X) => projectRef(X, c)));
          expectAllClose(proj, wantP, 'projected', 0, 2e-3);
        });
      }),
      runs(25),
    );
  });

  it('DLT (all views, weighted, and every pair + NaN median) matches the SVD reference', () => {
    fc.assert(
      fc.property(caseArb({ noise: 2, drop: true }), ({ cams, points, noise, drop, weights }) => {
        const V = cams.length;
        const N = points.length;
        const und = Array.from({ length: V * N }, (_, i) => at(observe(cams, points, noise, drop), i)).flatMap((p, i) =>
          p ? undistortRef(p, cams[Math.floor(i / N)]) : [NaN, NaN],
        );
        const x = Float64Array.from(und);
        withCams(cams, (ct) => {
          const nt = () => tf.tensor3d(Float32Array.from(x), [V, N, 2]);
          const all = tf.tidy(() => triangulate(nt(), ct).dataSync());
          expectPoints(
            all,
            points.map((_, n) => triangulateRef(viewsOf(x, V, N, n), cams)),
            2e-4,
            'points3d',
          );
          const w = tf.tidy(() => triangulate(nt(), ct, tf.tensor2d(weights, [V, N])).dataSync());
          expectPoints(
            w,
            points.map((_, n) =>
              triangulateRef(
                viewsOf(x, V, N, n),
                cams,
                cams.map((_, v) => weights[v * N + n]),
              ),
            ),
            2e-4,
            'weighted points3d',
          );
          const pw = tf.tidy(() => triangulatePairs(nt(), ct).dataSync());
          const wantPairs = points.map((_, n) => pairwiseRef(viewsOf(x, V, N, n), cams));
          const P = (V * (V - 1)) / 2;
          for (let p = 0; p < P; p++)
            expectPoints(
              pw.subarray(p * N * 3, (p + 1) * N * 3),
              wantPairs.map((ps) => ps[p]),
              2e-4,
              `pair ${p}`,
            );
          const med = tf.tidy(() => medianOfPairs(triangulatePairs(nt(), ct)).dataSync());
          expectPoints(med, wantPairs.map(medianOfPairsRef), 2e-4, 'median of pairs');
        });
      }),
      runs(25),
    );
  });

  it.each([
    ['nanMedian', nanMedian],
    ['nanMedianSmall', nanMedianSmall],
  ] as const)('%s is numpy nanmedian; its gradient (½ or 1 on the middle finite values) sums to 1', (_name, nanMedian) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) =>
          fc.array(
            fc.array(fc.oneof(fc.constant(NaN), fc.integer({ min: -3, max: 3 }), fc.double({ min: -5, max: 5, noNaN: true })), {
              minLength: n,
              maxLength: n,
            }),
            { minLength: 1, maxLength: 4 },
          ),
        ),
        (rows) => {
          const x = tf.tensor2d(rows.flat(), [rows.length, rows[0].length]);
          const m = tf.tidy(() => nanMedian(x, 1).dataSync());
          const g = tf.tidy(() =>
            tf
              .grad((a: tf.Tensor) =>
                nanMedian(a, 1)
                  .where(tf.isFinite(nanMedian(a, 1)), tf.zerosLike(nanMedian(a, 1)))
                  .sum(),
              )(x)
              .dataSync(),
          );
          x.dispose();
          rows.forEach((r, i) => {
            const want = nanMedianRef(r.map(Math.fround));
            if (Number.isNaN(want)) expect(Number.isNaN(m[i])).toBe(true);
            else expect(m[i]).toBeCloseTo(want, 5);
            const s = Array.from(g.subarray(i * r.length, (i + 1) * r.length));
            expectAllFinite(s, 'gradient');
            expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(Number.isNaN(want) ? 0 : 1, 6);
            r.forEach((v, j) => Number.isNaN(v) && expect(s[j]).toBe(0));
          });
        },
      ),
      runs(60),
    );
  });
});

describe('geometry properties', () => {
  it('project → triangulate recovers the points (no noise, no distortion), all views and every pair', () => {
    fc.assert(
      fc.property(caseArb({ distortion: false }), ({ cams, points }) => {
        const V = cams.length;
        const N = points.length;
        const obs = observe(cams, points);
        points.forEach((X, n) =>
          expectPoints(
            triangulateRef(
              viewsOf(obs, V, N, n).map((p, v) => undistortRef(p!, cams[v])),
              cams,
            ) as Point3 as never,
            [X],
            1e-9,
            'float64 reference',
          ),
        );
        withCams(cams, (ct) => {
          const g = multiviewGeometry(tf.tensor3d(Float32Array.from(obs), [V, N, 2]), ct);
          expectPoints(g.points3d.dataSync(), points, 2e-4, 'points3d');
          expectPoints(g.pairwiseMedian.dataSync(), points, 2e-4, 'median of pairs');
          expectAllClose(g.reprojectionError.dataSync(), new Float64Array(V * N), 'reprojection error', 0, 0.02);
          tf.dispose(Object.values(g as unknown as Record<string, tf.Tensor>));
        });
      }),
      runs(20),
    );
  });

  it('gradients of the reprojection errors are finite where views are NaN or masked, and 0 there', () => {
    fc.assert(
      fc.property(caseArb({ noise: 3, drop: true }), ({ cams, points, noise, drop, weights }) => {
        const V = cams.length;
        const N = points.length;
        const obs = tf.tensor3d(Float32Array.from(observe(cams, points, noise, drop)), [V, N, 2]);
        const w = tf.tensor2d(weights, [V, N]);
        withCams(cams, (ct) => {
          const nanSum = (e: tf.Tensor) => tf.where(tf.isFinite(e), e, tf.zerosLike(e)).sum();
          for (const which of ['dlt', 'pairs'] as const) {
            const g = tf.tidy(() =>
              tf
                .grad((o: tf.Tensor) => {
                  const u = undistort(o, ct);
                  const X = which === 'dlt' ? triangulate(u, ct, w) : medianOfPairs(triangulatePairs(u, ct));
                  return nanSum(reprojectionError(o, project(X, ct)));
                })(obs)
                .dataSync(),
            );
            expectAllFinite(g, `${which} gradient`);
            drop.forEach((d, i) => d && expect([g[2 * i], g[2 * i + 1]], `${which}: gradient at a missing view`).toEqual([0, 0]));
          }
        });
        tf.dispose([obs, w]);
      }),
      runs(20),
    );
  });

  it('the DLT gradient matches central differences of the float64 reference', () => {
    fc.assert(
      fc.property(caseArb({ noise: 1, minV: 2 }), fc.nat(), ({ cams, points, noise }, pick) => {
        const V = cams.length;
        const obs = observe(cams, points.slice(0, 1), noise);
        const coord = pick % (2 * V);
        const ref = (o: Float64Array) => {
          const X = triangulateRef(
            Array.from({ length: V }, (_, v) => undistortRef([o[2 * v], o[2 * v + 1]], cams[v])),
            cams,
          )!;
          return X[0] + 2 * X[1] - X[2];
        };
        const h = 1e-3;
        const plus = Float64Array.from(obs);
        const minus = Float64Array.from(obs);
        plus[coord] += h;
        minus[coord] -= h;
        const fd = (ref(plus) - ref(minus)) / (2 * h);
        const g = withCams(cams, (ct) =>
          tf.tidy(
            () =>
              tf
                .grad((o: tf.Tensor) =>
                  triangulate(undistort(o, ct), ct)
                    .mul(tf.tensor1d([1, 2, -1]))
                    .sum(),
                )(tf.tensor3d(Float32Array.from(obs), [V, 1, 2]))
                .dataSync()[coord],
          ),
        );
        if (!(Math.abs(g - fd) <= 2e-3 * Math.abs(fd) + 2e-6)) expect.fail(`d/du[${coord}]: autodiff ${g}, central differences ${fd}`);
      }),
      runs(20),
    );
  });

  it('is invariant to the order of the views', () => {
    fc.assert(
      fc.property(
        caseArb({ noise: 2, drop: true }).chain((c) =>
          fc.record({ c: fc.constant(c), perm: fc.shuffledSubarray([...c.cams.keys()], { minLength: c.cams.length, maxLength: c.cams.length }) }),
        ),
        ({ c, perm }) => {
          const V = c.cams.length;
          const N = c.points.length;
          const obs = observe(c.cams, c.points, c.noise, c.drop);
          const permuted = Float64Array.from(perm.flatMap((v) => Array.from(obs.subarray(v * N * 2, (v + 1) * N * 2))));
          const run = (cams: Camera[], o: Float64Array) =>
            withCams(cams, (ct) => {
              const g = multiviewGeometry(tf.tensor3d(Float32Array.from(o), [V, N, 2]), ct);
              const out = { X: g.points3d.dataSync(), med: g.pairwiseMedian.dataSync(), err: g.reprojectionError.dataSync() };
              tf.dispose(Object.values(g as unknown as Record<string, tf.Tensor>));
              return out;
            });
          const a = run(c.cams, obs);
          const b = run(
            perm.map((v) => c.cams[v]),
            permuted,
          );
          expectAllClose(b.X, a.X, 'points3d', 1e-4, 2e-4);
          expectAllClose(b.med, a.med, 'median of pairs', 1e-4, 2e-4);
          expectAllClose(
            b.err,
            perm.flatMap((v) => Array.from(a.err.subarray(v * N, (v + 1) * N))),
            'reprojection errors',
            1e-3,
            0.02,
          );
        },
      ),
      runs(20),
    );
  });

  it('leaks no tensors', () => {
    const cams = fc.sample(rigArb({ minV: 3, maxV: 3 }), { numRuns: 1, seed: 1 })[0];
    withCams(cams, (ct) => {
      const obs = tf.tensor3d(
        Float32Array.from(
          observe(cams, [
            [0, 0, 0],
            [0.5, -0.2, 0.1],
          ]),
        ),
        [3, 2, 2],
      );
      tf.dispose(Object.values(multiviewGeometry(obs, ct) as unknown as Record<string, tf.Tensor>)); // first call: the pair and views-last layouts of the cameras, kept with them
      const before = tf.memory().numTensors;
      const g = multiviewGeometry(obs, ct);
      tf.dispose(Object.values(g as unknown as Record<string, tf.Tensor>));
      tf.grad((o: tf.Tensor) => triangulate(undistort(o, ct), ct).sum())(obs).dispose();
      expect(tf.memory().numTensors).toBe(before);
      obs.dispose();
    });
    // disposing the group disposes its derived layouts too
    const n = tf.memory().numTensors;
    const ct = cameraTensors(cams);
    const obs = tf.tensor3d(Float32Array.from(observe(cams, [[0, 0, 0]])), [3, 1, 2]);
    tf.dispose(Object.values(multiviewGeometry(obs, ct) as unknown as Record<string, tf.Tensor>));
    disposeCameras(ct);
    obs.dispose();
    expect(tf.memory().numTensors).toBe(n);
  });
});
