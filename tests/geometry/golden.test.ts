import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Camera, CameraSection } from '../../src/config/calibration.js';
import { medianOfPairsRef, type Point2, pairwiseRef, projectRef, reprojectionErrorRef, triangulateRef, undistortRef } from '../../src/geometry/reference.js';
import { caseFiles, readCase, verifyFile } from '../../src/verify/index.js';
import { GOLDEN, hasShared, warnIfNoShared } from '../shared.js';

const DIR = path.join(GOLDEN, 'multiview');
const present = hasShared && fs.existsSync(DIR);
warnIfNoShared('multi-view geometry vectors');

type Tensor = { shape: number[]; data: (number | null)[] };
const val = (v: number | null) => (v === null ? NaN : v);

describe.skipIf(!present)('geometry:multiview vectors (../shared/golden/multiview)', () => {
  const files = present ? caseFiles([DIR]) : [];

  it.each(files.map((f) => [path.basename(f, '.json'), f]))('%s passes verify', (_name, file) => {
    const r = verifyFile(file);
    expect(r.outcome).toEqual({ ok: true });
  });

  it.each(files.map((f) => [path.basename(f, '.json'), f]))('%s: the float64 references agree to ≤ 1e-9 (units, px) and 1e-14 (undistorted)', (_name, file) => {
    const c = readCase(file) as unknown as { cameras: Record<string, unknown>[]; inputs: { keypoints_2d: Tensor }; expected: Record<string, Tensor> };
    const cams = c.cameras.map(({ extrinsics_mat: _m, ...s }) => CameraSection.decode(s)).map((d) => (d as { right: Camera }).right);
    const [V, N] = c.inputs.keypoints_2d.shape;
    const kp = c.inputs.keypoints_2d.data.map(val);
    const obs = (v: number, n: number): Point2 | null => (Number.isNaN(kp[(v * N + n) * 2]) ? null : [kp[(v * N + n) * 2], kp[(v * N + n) * 2 + 1]]);
    const E = c.expected;
    let worst = { und: 0, p3: 0, px: 0 };
    const diff = (a: number, e: number | null) => (e === null ? (Number.isNaN(a) ? 0 : Infinity) : Math.abs(a - e));
    for (let n = 0; n < N; n++) {
      const und = cams.map((cam, v) => (obs(v, n) ? undistortRef(obs(v, n)!, cam) : null));
      und.forEach((u, v) => u && [0, 1].forEach((k) => (worst.und = Math.max(worst.und, diff(u[k], E.undistorted.data[(v * N + n) * 2 + k])))));
      const X = triangulateRef(und, cams);
      [0, 1, 2].forEach((k) => (worst.p3 = Math.max(worst.p3, diff(X ? X[k] : NaN, E.points_3d.data[n * 3 + k]))));
      cams.forEach((cam, v) => {
        const rp = X ? projectRef(X, cam) : null;
        [0, 1].forEach((k) => (worst.px = Math.max(worst.px, diff(rp ? rp[k] : NaN, E.reprojected.data[(v * N + n) * 2 + k]))));
        worst.px = Math.max(worst.px, diff(reprojectionErrorRef(obs(v, n), rp), E.reprojection_error.data[v * N + n]));
      });
      const pairs = pairwiseRef(und, cams);
      pairs.forEach((p, q) => [0, 1, 2].forEach((k) => (worst.p3 = Math.max(worst.p3, diff(p ? p[k] : NaN, E.pairwise_points_3d.data[(q * N + n) * 3 + k])))));
      const med = medianOfPairsRef(pairs);
      [0, 1, 2].forEach((k) => (worst.p3 = Math.max(worst.p3, diff(med ? med[k] : NaN, E.pairwise_median_points_3d.data[n * 3 + k]))));
    }
    void V;
    expect(worst.und).toBeLessThanOrEqual(1e-14);
    expect(worst.p3).toBeLessThanOrEqual(1e-9);
    expect(worst.px).toBeLessThanOrEqual(1e-9);
    worst = { ...worst };
  });
});
