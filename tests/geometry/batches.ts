import fc from 'fast-check';
import type { Camera } from '../../src/config/calibration.js';
import type { Point3 } from '../../src/geometry/reference.js';
import { observe, pointArb, rigArb } from './rig.js';

/**
 * A batch seen by a rig: B frames × K keypoints at `points` (frame-major), and for each of the
 * n = B·V·K view points (laid out as `observe` takes them: view-major) pixel noise (2 per point)
 * and whether the view is missing.
 */
export interface ViewBatch {
  readonly cams: Camera[];
  readonly B: number;
  readonly K: number;
  readonly points: Point3[];
  readonly noise: number[];
  readonly drop: boolean[];
}

/** How views go missing (`drop`, one flag per view point). */
export const DROP = {
  /** a coin flip at every third view point (index % 3 = 0), none elsewhere */
  everyThird: (n: number) => fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((d) => d.map((x, i) => x && i % 3 === 0)),
  /** any view point, with probability 1/6 */
  oneInSix: (n: number) =>
    fc.array(
      fc.integer({ min: 0, max: 5 }).map((d) => d === 0),
      { minLength: n, maxLength: n },
    ),
} as const;

/** Noise bounded away from 0 (+2 px on every third coordinate, −1.5 px on the others): at exact agreement a distance sits at the norm's kink. */
export const awayFromKink = (noise: readonly number[]): number[] => noise.map((x, j) => x + (j % 3 === 0 ? 2 : -1.5));

/**
 * Batches of 1–3 frames × 1–4 keypoints seen by a rig of 2–4 cameras, with noise uniform in
 * ±3 px (shifted by `awayFromKink` when asked) and views missing by `drop` (default everyThird),
 * plus the test's own fields, drawn by `extras` for the batch's sizes (n: view points).
 */
export const viewBatchArb = <E extends Record<string, unknown>>(o: {
  drop?: keyof typeof DROP;
  awayFromKink?: boolean;
  extras?: (s: { B: number; K: number; n: number }) => { [P in keyof E]: fc.Arbitrary<E[P]> };
}): fc.Arbitrary<ViewBatch & E> =>
  rigArb({ minV: 2, maxV: 4 }).chain((cams) =>
    fc.record({ B: fc.integer({ min: 1, max: 3 }), K: fc.integer({ min: 1, max: 4 }) }).chain(({ B, K }) => {
      const n = B * cams.length * K;
      const noise = fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 2 * n, maxLength: 2 * n });
      return fc.record({
        cams: fc.constant(cams),
        B: fc.constant(B),
        K: fc.constant(K),
        points: fc.array(pointArb, { minLength: B * K, maxLength: B * K }),
        noise: o.awayFromKink ? noise.map(awayFromKink) : noise,
        drop: DROP[o.drop ?? 'everyThird'](n),
        ...o.extras?.({ B, K, n }),
      }) as unknown as fc.Arbitrary<ViewBatch & E>;
    }),
  );

/** The batch's observations as (B, V, K, 2) predictions (NaN where a view is missing), float64. */
export const viewPredictions = (b: ViewBatch): Float64Array => {
  const V = b.cams.length;
  const obs = observe(b.cams, b.points, b.noise, b.drop); // (V, B·K, 2)
  const out = new Float64Array(b.B * V * b.K * 2);
  for (let f = 0; f < b.B; f++)
    for (let v = 0; v < V; v++)
      for (let k = 0; k < b.K; k++) for (let c = 0; c < 2; c++) out[((f * V + v) * b.K + k) * 2 + c] = obs[(v * b.B * b.K + f * b.K + k) * 2 + c];
  return out;
};
