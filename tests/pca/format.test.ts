import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { expandFlatMatches, formatForPca, type Matrix64, type PcaFormat } from '../../src/pca/index.js';

const m = (rows: number, cols: number, values: number[]): Matrix64 => ({ data: Float64Array.from(values), rows, cols });
const right = <A>(e: either.Either<string, A>): A => {
  if (either.isLeft(e)) throw new Error(e.left);
  return e.right;
};
const leftOf = <A>(e: either.Either<string, A>): string => {
  if (either.isRight(e)) throw new Error('expected a Left');
  return e.left;
};
const sv = (columns: number[] | null, centering: 'mean' | 'median' | null = null): PcaFormat => ({
  kind: 'singleview',
  columns,
  centering,
});

// 2 frames, 3 keypoints: (x, y) = (10k + f, 100 + 10k + f)
const x3 = m(2, 6, [0, 100, 10, 110, 20, 120, 1, 101, 11, 111, 21, 121]);

describe('singleview formatting', () => {
  it('keeps all keypoints when columns is null', () => {
    expect(Array.from(right(formatForPca(x3, sv(null))).data)).toEqual(Array.from(x3.data));
  });

  it('keeps the selected keypoints in the given order', () => {
    const f = right(formatForPca(x3, sv([2, 0])));
    expect([f.rows, f.cols]).toEqual([2, 4]);
    expect(Array.from(f.data)).toEqual([20, 120, 0, 100, 21, 121, 1, 101]);
  });

  it('mean centering subtracts the per-frame, per-coordinate mean of the kept keypoints', () => {
    const f = right(formatForPca(x3, sv([0, 1, 2], 'mean')));
    expect(Array.from(f.data)).toEqual([-10, -10, 0, 0, 10, 10, -10, -10, 0, 0, 10, 10]);
  });

  it('median centering uses the middle value, or the average of the two middle values', () => {
    const odd = m(1, 6, [0, 0, 1, 5, 9, 6]); // x: 0,1,9 → 1; y: 0,5,6 → 5
    expect(Array.from(right(formatForPca(odd, sv(null, 'median'))).data)).toEqual([-1, -5, 0, 0, 8, 1]);
    const even = m(1, 8, [0, 0, 1, 4, 3, 6, 10, 7]); // x: 0,1,3,10 → 2; y: 0,4,6,7 → 5
    expect(Array.from(right(formatForPca(even, sv(null, 'median'))).data)).toEqual([-2, -5, -1, -1, 1, 1, 8, 2]);
  });

  it('with centering, a NaN in a selected coordinate makes that coordinate NaN in the whole row; unselected NaNs do not', () => {
    const x = m(2, 6, [0, 1, NaN, NaN, 4, 5, 0, 1, 2, 3, NaN, NaN]);
    for (const c of ['mean', 'median'] as const) {
      const f = right(formatForPca(x, sv([0, 1], c)));
      expect(Array.from(f.data.subarray(0, 4)).every(Number.isNaN)).toBe(true);
      expect(Array.from(f.data.subarray(4)).every(Number.isFinite)).toBe(true);
    }
  });

  it("with centering, x and y are centred separately: a label with only x missing keeps the frame's y values (as the reference)", () => {
    // frame 0: keypoint 1 has x = NaN, y = 5; the y's (1, 5, 9) centre to (-4, 0, 4) with mean, median alike
    const x = m(1, 6, [0, 1, NaN, 5, 6, 9]);
    for (const c of ['mean', 'median'] as const) {
      const f = Array.from(right(formatForPca(x, sv(null, c))).data);
      expect([f[0], f[2], f[4]].every(Number.isNaN)).toBe(true);
      expect([f[1], f[3], f[5]]).toEqual([-4, 0, 4]);
    }
  });

  it('never changes its input', () => {
    const before = Array.from(x3.data);
    formatForPca(x3, sv([1, 2], 'mean'));
    expect(Array.from(x3.data)).toEqual(before);
  });

  it('rejects indices outside the keypoints, non-integers, an empty list and odd widths', () => {
    expect(leftOf(formatForPca(x3, sv([0, 3])))).toMatch(/columns_for_singleview_pca\[1\] = 3 is outside the 3 keypoints/);
    expect(leftOf(formatForPca(x3, sv([-1])))).toMatch(/columns_for_singleview_pca\[0\] = -1 is outside/);
    expect(leftOf(formatForPca(x3, sv([0.5])))).toMatch(/columns_for_singleview_pca\[0\] = 0.5 is not an integer/);
    expect(leftOf(formatForPca(x3, sv([])))).toMatch(/columns_for_singleview_pca is empty/);
    expect(leftOf(formatForPca(m(1, 3, [1, 2, 3]), sv(null)))).toMatch(/3 columns; expected 2 per keypoint/);
    expect(leftOf(formatForPca(m(2, 2, [1, 2, 3]), sv(null)))).toMatch(/3 entries but shape \(2, 2\)/);
    expect(leftOf(formatForPca(x3, { kind: 'singleview', columns: null, centering: 'mode' as never }))).toMatch(/centering_method must be/);
  });
});

describe('multiview formatting', () => {
  it('rows are (frame, matched keypoint) frame-major, columns x_v0, y_v0, x_v1, y_v1', () => {
    // 2 frames, 4 keypoints: view 0 = [0, 1], view 1 = [2, 3]
    const x = m(2, 8, [0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17]);
    const f = right(
      formatForPca(x, {
        kind: 'multiview',
        matches: [
          [0, 1],
          [2, 3],
        ],
      }),
    );
    expect([f.rows, f.cols]).toEqual([4, 4]);
    expect(Array.from(f.data)).toEqual([0, 1, 4, 5, 2, 3, 6, 7, 10, 11, 14, 15, 12, 13, 16, 17]);
  });

  it('matches the definition on random data', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 1000 }),
        (views, km, frames, seed) => {
          const k = views * km + 1;
          const x = m(
            frames,
            2 * k,
            Array.from({ length: frames * 2 * k }, (_, i) => (i * seed) % 997),
          );
          const matches = Array.from({ length: views }, (_, v) => Array.from({ length: km }, (_, j) => (v * km + j + seed) % k));
          const f = right(formatForPca(x, { kind: 'multiview', matches }));
          for (let n = 0; n < frames; n++)
            for (let j = 0; j < km; j++)
              for (let v = 0; v < views; v++) {
                const row = n * km + j;
                expect(f.data[row * 2 * views + 2 * v]).toBe(x.data[n * 2 * k + 2 * matches[v][j]]);
                expect(f.data[row * 2 * views + 2 * v + 1]).toBe(x.data[n * 2 * k + 2 * matches[v][j] + 1]);
              }
        },
      ),
    );
  });

  it('rejects unequal view lists and indices outside the keypoints, naming them', () => {
    expect(leftOf(formatForPca(x3, { kind: 'multiview', matches: [[0, 1], [2]] }))).toMatch(
      /mirrored_column_matches\[1\] lists 1 keypoints but mirrored_column_matches\[0\] lists 2/,
    );
    expect(leftOf(formatForPca(x3, { kind: 'multiview', matches: [[0], [7]] }))).toMatch(/mirrored_column_matches\[1\]\[0\] = 7 is outside the 3 keypoints/);
    expect(leftOf(formatForPca(x3, { kind: 'multiview', matches: [] }))).toMatch(/mirrored_column_matches is empty/);
  });
});

describe('expandFlatMatches', () => {
  it('repeats the flat list for every view, offset by the keypoints per view', () => {
    expect(expandFlatMatches([0, 2, 3], 3, 5)).toEqual([
      [0, 2, 3],
      [5, 7, 8],
      [10, 12, 13],
    ]);
    expect(expandFlatMatches([], 2, 4)).toEqual([[], []]);
  });
});
