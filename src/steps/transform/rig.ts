import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import type { Camera } from '../../config/calibration.js';
import { issue, type PoselossIssue } from '../../config/issues.js';
import { projectRef } from '../../geometry/reference.js';
import type { Arbitrary, BuildContext, CaseOptions, FastCheck, StepCase, StepSpec } from '../../pipeline/step.js';
import { dimsOf, num, ofKeys, plain } from '../reference.js';

/** The rig a multi-camera step is built with (2 or more cameras), or the issue saying where to give it. */
export const calibrationOf = (ctx: BuildContext, step: string): Either<PoselossIssue[], readonly Camera[]> =>
  ctx.cameras && ctx.cameras.length >= 2
    ? either.right(ctx.cameras)
    : either.left([
        issue(
          ctx.path,
          `${step} needs the rig's calibration (2 or more cameras): set data.camera_params_file (an anipose calibration.toml, or the reference's calibrations.csv index), put calibration.toml in data.data_dir, or pass { cameras } when building ${ctx.loss}`,
        ),
      ]);

/** The calibration's camera names, for messages. */
export const cameraNames = (cameras: readonly Camera[]): string => cameras.map((c) => c.name).join(', ');

/** V cameras about 8 units from the origin looking at it, yaws spread over ±0.6 rad, random focal length, small tilt and barrel distortion. */
export const rigArb = (fc: FastCheck, V: number): Arbitrary<Camera[]> =>
  fc
    .array(fc.record({ f: num(fc, 800, 2000), tilt: num(fc, -0.2, 0.2), k1: num(fc, -0.1, 0.1), depth: num(fc, 6, 10) }), { minLength: V, maxLength: V })
    .map((cs) =>
      cs.map(({ f, tilt, k1, depth }, v) => ({
        name: `cam${v}`,
        size: [1000, 800],
        matrix: [
          [f, 0, 500],
          [0, f, 400],
          [0, 0, 1],
        ],
        distortions: [k1, 0, 0, 0, 0],
        rotation: [tilt, -0.6 + (1.2 * v) / (V - 1), 0],
        translation: [0, 0, depth],
      })),
    );

/** A rig of V cameras (rigArb) and B × K world points in [−1, 1]³ seen by every camera, ±2 px of noise: (B, V, K, 2) pixels, row-major. */
export const seenByRigArb = (fc: FastCheck, B: number, V: number, K: number): Arbitrary<{ cameras: Camera[]; xy: Float32Array }> =>
  fc
    .tuple(
      rigArb(fc, V),
      fc.array(fc.tuple(num(fc, -1, 1), num(fc, -1, 1), num(fc, -1, 1)), { minLength: B * K, maxLength: B * K }),
      fc.array(num(fc, -2, 2), { minLength: B * V * K * 2, maxLength: B * V * K * 2 }),
    )
    .map(([cameras, points, noise]) => {
      const xy = new Float32Array(B * V * K * 2);
      for (let b = 0; b < B; b++)
        cameras.forEach((cam, v) => {
          for (let k = 0; k < K; k++) {
            const [u, w] = projectRef(points[b * K + k], cam);
            const i = ((b * V + v) * K + k) * 2;
            [xy[i], xy[i + 1]] = [u + noise[i], w + noise[i + 1]];
          }
        });
      return { cameras, xy };
    });

/**
 * Where the geometry's tfjs-ops path (float32) matches its fused kernel (float64), StepDef.float32Range:
 * pixel coordinates up to 1e4 (≈ 10 frame widths), to 1e-3 relative. The DLT squares normalised
 * coordinates into 3×3 determinants, and a point far outside the frame can make it ill-conditioned
 * (found by random tests: 0.6% apart at 1e5 px with 2 cameras, 1e-4 at 1e4 px).
 */
export const GEOMETRY_FLOAT32_RANGE = {
  maxAbs: 1e4,
  rtol: 1e-3,
  why: 'the DLT squares normalised coordinates and can be ill-conditioned far outside the frame (float32 on the tfjs-ops path; the fused kernel is float64)',
} as const;

/** Reference cases of a step reading per-view points (B, V, K, 2): its drawn spec, a random rig, and points every camera sees. */
export const seenByRigCases = (fc: FastCheck, spec: Arbitrary<StepSpec>, opts: CaseOptions): Arbitrary<StepCase> =>
  fc
    .tuple(spec, dimsOf(fc, opts))
    .chain(([s, { B, V, K }]) =>
      seenByRigArb(fc, B, V, K).map(({ cameras, xy }) => ({ spec: s, inputs: { [ofKeys(s)[0]]: plain([B, V, K, 2], xy) }, cameras })),
    );
