import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import {
  type ComponentsToKeep,
  chooseComponentCount,
  fitKeypointPca,
  type Matrix64,
  type PcaFormat,
  reprojectionError,
  requireFiniteEpsilon,
} from '../../src/pca/index.js';
import { keypointData } from './random.js';

const leftOf = <A>(e: either.Either<string, A>): string => {
  if (either.isRight(e)) throw new Error('expected a Left');
  return e.left;
};
const sv: PcaFormat = { kind: 'singleview', columns: null, centering: null };
const fit = (x: Matrix64, format: PcaFormat = sv, componentsToKeep: ComponentsToKeep = { kind: 'fraction', f: 0.99 }, percentile = 99) =>
  fitKeypointPca(x, { format, componentsToKeep, percentile });

describe('fitKeypointPca errors', () => {
  it('fewer rows than dimensions (NaN rows counted) → Left naming the sizes and the fix', () => {
    const x = keypointData(1, 8, 5);
    expect(leftOf(fit(x))).toBe('cannot fit PCA with 8 samples < 10 dimensions: label more frames or drop keypoints from columns_for_singleview_pca');
    const nanRows = keypointData(1, 10, 5);
    nanRows.data.fill(NaN, 0, 40); // four all-NaN frames still count
    expect(either.isRight(fit(nanRows))).toBe(true);
  });

  it('multiview: too few (frame, keypoint) rows and a single view → Left naming mirrored_column_matches', () => {
    const x = keypointData(2, 1, 4); // 1 frame × 2 matched keypoints = 2 rows < 4 dims
    expect(
      leftOf(
        fit(x, {
          kind: 'multiview',
          matches: [
            [0, 1],
            [2, 3],
          ],
        }),
      ),
    ).toMatch(/^cannot fit PCA with 2 samples < 4 dimensions: .*mirrored_column_matches$/);
    const y = keypointData(2, 20, 4);
    expect(leftOf(fit(y, { kind: 'multiview', matches: [[0, 1, 2, 3]] }))).toMatch(/keeps 3 components but its rows have only 2 dimensions/);
  });

  it('bad indices, components and percentiles → Left', () => {
    const x = keypointData(3, 40, 4);
    expect(leftOf(fit(x, { kind: 'singleview', columns: [0, 4], centering: null }))).toMatch(/columns_for_singleview_pca\[1\] = 4/);
    expect(leftOf(fit(x, sv, { kind: 'count', n: 9 }))).toMatch(/components_to_keep = 9 is outside \[1, 8\]: the PCA has 8 dimensions/);
    expect(leftOf(fit(x, sv, { kind: 'count', n: -1 }))).toMatch(/is outside \[1, 8\]/);
    expect(leftOf(fit(x, sv, { kind: 'count', n: 1.5 }))).toMatch(/is outside \[1, 8\]/);
    expect(leftOf(fit(x, sv, { kind: 'fraction', f: 0 }))).toMatch(/must be in \(0, 1\]/);
    expect(leftOf(fit(x, sv, { kind: 'fraction', f: 1.2 }))).toMatch(/must be in \(0, 1\]/);
    expect(leftOf(fit(x, sv, { kind: 'fraction', f: NaN }))).toMatch(/must be in \(0, 1\]/);
    expect(leftOf(fit(x, sv, undefined, 101))).toMatch(/empirical_epsilon_percentile = 101/);
    const inf = keypointData(3, 40, 4);
    inf.data[13] = Infinity;
    expect(leftOf(fit(inf))).toMatch(/infinite value at frame 1, column 5/);
  });

  it('chooseComponentCount on ratios without variance', () => {
    expect(leftOf(chooseComponentCount(Float64Array.from([NaN, NaN]), { kind: 'fraction', f: 0.5 }))).toMatch(/no variance/);
  });
});

describe('fitKeypointPca results', () => {
  it('count 0, or more than the PCA has dimensions, is an error naming the valid range', () => {
    const x = keypointData(4, 30, 3);
    for (const n of [0, 7]) {
      const r = fit(x, sv, { kind: 'count', n });
      expect(either.isLeft(r) && r.left).toBe(
        `components_to_keep = ${n} is outside [1, 6]: the PCA has 6 dimensions (one per formatted column); give a count from 1 to 6, or a variance fraction in (0, 1]`,
      );
    }
  });

  it('multiview keeps 3 components whatever componentsToKeep says', () => {
    const x = keypointData(5, 30, 6);
    const r = fit(
      x,
      {
        kind: 'multiview',
        matches: [
          [0, 1, 2],
          [3, 4, 5],
        ],
      },
      { kind: 'count', n: 1 },
    );
    if (either.isLeft(r)) throw new Error(r.left);
    expect(r.right.nKept).toBe(3);
    expect([r.right.formattedFit.rows, r.right.formattedFit.cols]).toEqual([90, 4]);
    expect([r.right.fitReprojectionError.rows, r.right.fitReprojectionError.cols]).toEqual([90, 2]);
  });

  it('fitReprojectionError equals reprojectionError of the formatted fit data', () => {
    const x = keypointData(6, 50, 5, 0.1);
    const r = fit(x, { kind: 'singleview', columns: [4, 0, 2], centering: 'median' });
    if (either.isLeft(r)) throw new Error(r.left);
    const again = reprojectionError(r.right.formattedFit, r.right.mean, r.right.kept);
    expect(Array.from(again.data)).toEqual(Array.from(r.right.fitReprojectionError.data));
  });

  it('D5: when every formatted row misses a keypoint the epsilon is NaN and requireFiniteEpsilon explains', () => {
    const x = keypointData(7, 40, 4);
    for (let f = 0; f < 40; f++) {
      const k = f % 4; // each frame misses one keypoint, every keypoint labelled often
      x.data[f * 8 + 2 * k] = NaN;
      x.data[f * 8 + 2 * k + 1] = NaN;
    }
    const r = fit(x);
    if (either.isLeft(r)) throw new Error(r.left);
    expect(r.right.epsilonEmpirical).toBeNaN();
    expect(Array.from(r.right.mean).every(Number.isFinite)).toBe(true);
    const msg = leftOf(requireFiniteEpsilon(r.right));
    expect(msg).toMatch(/every formatted training row \(40 rows\) misses/);
    expect(msg).toMatch(/drop never-labelled keypoints from columns_for_singleview_pca/i);
    expect(msg).toMatch(/add fully labelled frames/);
    expect(msg).toMatch(/set an explicit epsilon/);
  });

  it('a never-labelled PCA keypoint is a build error (no NaN mean, never a NaN loss later)', () => {
    const x = keypointData(8, 40, 4);
    for (let f = 0; f < 40; f++) x.data.fill(NaN, f * 8 + 4, f * 8 + 8); // keypoints 2 and 3 never labelled
    const multi = leftOf(
      fit(x, {
        kind: 'multiview',
        matches: [
          [0, 1],
          [2, 3],
        ],
      }),
    );
    expect(multi).toMatch(/PCA column 2 \(x of PCA keypoint 1\) is never labelled in the 80 fit rows/);
    expect(multi).toMatch(/drop that keypoint from mirrored_column_matches/);
    const single = leftOf(fit(x, { kind: 'singleview', columns: [0, 1, 3], centering: null }));
    expect(single).toMatch(/never labelled .* columns_for_singleview_pca/);
  });

  it('requireFiniteEpsilon passes a finite epsilon through', () => {
    const r = fit(keypointData(9, 40, 4));
    if (either.isLeft(r)) throw new Error(r.left);
    expect(requireFiniteEpsilon(r.right)).toEqual(either.right(r.right.epsilonEmpirical));
  });

  it('reprojectionError rejects mismatched shapes', () => {
    const r = fit(keypointData(10, 40, 4));
    if (either.isLeft(r)) throw new Error(r.left);
    const bad = { data: new Float64Array(6), rows: 1, cols: 6 };
    expect(() => reprojectionError(bad, r.right.mean, r.right.kept)).toThrow(/mean has 8 entries/);
  });
});
