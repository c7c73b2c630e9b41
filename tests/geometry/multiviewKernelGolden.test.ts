import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { type Camera, CameraSection } from '../../src/config/calibration.js';
import { projectRef } from '../../src/geometry/reference.js';
import { reprojectViewsFused, rigOf } from '../../src/kernels/multiview.js';
import { caseFiles, readCase } from '../../src/verify/index.js';
import { GOLDEN, hasShared, warnIfNoShared } from '../shared.js';

/**
 * `verify ../shared/golden/multiview` checks the tfjs-ops geometry; this checks the wasm
 * `multiview` kernel (the fused reproject_views) on the same vectors, on the wasm and cpu
 * backends: all-view DLT reprojections against `reprojected`, and the pairwise-median
 * reprojections against the vectors' `pairwise_median_points_3d` projected in float64, to the
 * vectors' reprojection tolerance (1e-3 px); NaN exactly where the vectors have none.
 */

const DIR = path.join(GOLDEN, 'multiview');
const present = hasShared && fs.existsSync(DIR);
warnIfNoShared('multi-view geometry vectors (wasm kernel)');

type Tensor = { shape: number[]; data: (number | null)[] };
const val = (v: number | null) => (v === null ? NaN : v);
const ATOL_PX = 1e-3;

describe.skipIf(!present)('the multiview kernel on ../shared/golden/multiview', () => {
  const files = present ? caseFiles([DIR]) : [];
  for (const backend of ['wasm', 'cpu'])
    it.each(files.map((f) => [path.basename(f, '.json'), f]))(`%s on ${backend}`, async (_name, file) => {
      const c = readCase(file) as unknown as { cameras: Record<string, unknown>[]; inputs: { keypoints_2d: Tensor }; expected: Record<string, Tensor> };
      const cams = c.cameras.map(({ extrinsics_mat: _m, ...s }) => CameraSection.decode(s)).map((d) => (d as { right: Camera }).right);
      const [V, N] = c.inputs.keypoints_2d.shape as [number, number];
      const before = tf.getBackend();
      await tf.setBackend(backend);
      try {
        const pts = tf.tensor(c.inputs.keypoints_2d.data.map(val), [1, V, N, 2], 'float32');
        const run = (tri: 'dlt' | 'pairwise_median') => tf.tidy(() => reprojectViewsFused(rigOf(cams), tri, 0)(pts).dataSync() as Float32Array);
        const [dlt, median] = [run('dlt'), run('pairwise_median')];
        pts.dispose();
        const M = c.expected.pairwise_median_points_3d.data.map(val);
        const medianExpected = cams.flatMap((cam) =>
          Array.from({ length: N }, (_, n) => (Number.isNaN(M[3 * n]) ? [NaN, NaN] : projectRef([M[3 * n], M[3 * n + 1], M[3 * n + 2]], cam))).flat(),
        );
        const worst = (got: Float32Array, want: readonly number[], what: string) => {
          let w = 0;
          want.forEach((e, i) => {
            if (Number.isNaN(e) !== Number.isNaN(got[i])) expect.fail(`${what}[${i}]: kernel ${got[i]}, vectors ${e}`);
            if (!Number.isNaN(e)) w = Math.max(w, Math.abs(got[i] - e));
          });
          return w;
        };
        expect(worst(dlt, c.expected.reprojected.data.map(val), 'reprojected')).toBeLessThanOrEqual(ATOL_PX);
        expect(worst(median, medianExpected, 'pairwise median reprojected')).toBeLessThanOrEqual(ATOL_PX);
      } finally {
        await tf.setBackend(before);
      }
    });
});
