import fc from 'fast-check';
import type { Camera } from '../../src/config/calibration.js';
import { type Point3, projectRef } from '../../src/geometry/reference.js';

/**
 * A random rig looking at the origin: rotations up to ~0.7 rad, depth 6–12, focal 800–3000 px,
 * mild distortion (3·|k1|·r² well below 1 over the image, so the model is invertible there).
 */
export const cameraArb = (distortion = true): fc.Arbitrary<Camera> =>
  fc
    .record({
      rot: fc.tuple(
        fc.double({ min: -0.4, max: 0.4, noNaN: true }),
        fc.double({ min: -0.4, max: 0.4, noNaN: true }),
        fc.double({ min: -0.4, max: 0.4, noNaN: true }),
      ),
      tx: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
      ty: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
      depth: fc.double({ min: 6, max: 12, noNaN: true }),
      f: fc.double({ min: 800, max: 3000, noNaN: true }),
      aspect: fc.double({ min: 0.95, max: 1.05, noNaN: true }),
      k1: fc.double({ min: -0.15, max: 0.15, noNaN: true }),
      k2: fc.double({ min: -0.05, max: 0.05, noNaN: true }),
      p: fc.tuple(fc.double({ min: -0.002, max: 0.002, noNaN: true }), fc.double({ min: -0.002, max: 0.002, noNaN: true })),
    })
    .map(({ rot, tx, ty, depth, f, aspect, k1, k2, p }) => ({
      name: 'cam',
      size: [1000, 800] as const,
      matrix: [
        [f, 0, 500],
        [0, f * aspect, 400],
        [0, 0, 1],
      ],
      distortions: distortion ? [k1, k2, p[0], p[1], 0] : [0, 0, 0, 0, 0],
      rotation: [...rot],
      translation: [tx, ty, depth],
    }));

/**
 * 2–4 cameras spread around the y axis (yaw −0.7 … 0.7 rad, at least ~0.3 rad apart, plus the
 * random tilt of cameraArb), so no two views are degenerate (a point on a baseline is not
 * triangulable).
 */
export const rigArb = (o: { minV?: number; maxV?: number; distortion?: boolean } = {}): fc.Arbitrary<Camera[]> =>
  fc.array(cameraArb(o.distortion ?? true), { minLength: o.minV ?? 2, maxLength: o.maxV ?? 4 }).map((cs) =>
    cs.map((c, i) => {
      const yaw = cs.length === 1 ? 0 : -0.7 + (1.4 * i) / (cs.length - 1);
      return { ...c, name: `cam${i}`, rotation: [c.rotation[0] * 0.5, yaw + c.rotation[1] * 0.3, c.rotation[2]] };
    }),
  );

export const pointArb: fc.Arbitrary<Point3> = fc.tuple(
  fc.double({ min: -1, max: 1, noNaN: true }),
  fc.double({ min: -1, max: 1, noNaN: true }),
  fc.double({ min: -1, max: 1, noNaN: true }),
);

/** Flattened (V, N, 2) observations of `points` in every camera, plus uniform noise in ±noise px; null entries (missing) where `drop` says. */
export const observe = (cams: readonly Camera[], points: readonly Point3[], noise: readonly number[] = [], drop: readonly boolean[] = []): Float64Array => {
  const out = new Float64Array(cams.length * points.length * 2);
  cams.forEach((c, v) =>
    points.forEach((X, n) => {
      const i = v * points.length + n;
      const [u, w] = projectRef(X, c);
      out[2 * i] = drop[i] ? NaN : u + (noise[2 * i] ?? 0);
      out[2 * i + 1] = drop[i] ? NaN : w + (noise[2 * i + 1] ?? 0);
    }),
  );
  return out;
};
