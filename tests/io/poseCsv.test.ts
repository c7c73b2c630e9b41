import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { afterAll, describe, expect, it } from 'vitest';
import { type PoseTable, parseNumberCell, parsePoseCsv, readPoseCsv, selectKeypoints } from '../../src/io/index.js';

const right = <A>(e: either.Either<string, A>): A => {
  if (either.isLeft(e)) throw new Error(e.left);
  return e.right;
};
const leftOf = <A>(e: either.Either<string, A>): string => {
  if (either.isRight(e)) throw new Error('expected a Left');
  return e.left;
};

interface Spec {
  keypoints: string[];
  index: string[];
  xy: number[][]; // frames × 2K
  likelihood: number[][] | null; // frames × K
  visible: boolean;
  set: string[] | null;
  nanText: string;
}

const cell = (v: number, nanText: string): string => (Number.isNaN(v) ? nanText : String(v));

/** Writes a DeepLabCut / Lightning Pose CSV for `s`. */
const writeCsv = (s: Spec): string => {
  const scorer = ['scorer'];
  const bodyparts = ['bodyparts'];
  const coords = ['coords'];
  for (const k of s.keypoints) {
    const cs = ['x', 'y', ...(s.likelihood ? ['likelihood'] : []), ...(s.visible ? ['visible'] : [])];
    for (const c of cs) {
      scorer.push('tester');
      bodyparts.push(k);
      coords.push(c);
    }
  }
  if (s.set) {
    scorer.push('set');
    bodyparts.push('');
    coords.push('');
  }
  const lines = [scorer.join(','), bodyparts.join(','), coords.join(',')];
  s.index.forEach((idx, f) => {
    const row = [idx];
    s.keypoints.forEach((_, j) => {
      row.push(cell(s.xy[f][2 * j], s.nanText), cell(s.xy[f][2 * j + 1], s.nanText));
      if (s.likelihood) row.push(cell(s.likelihood[f][j], s.nanText));
      if (s.visible) row.push('1');
    });
    if (s.set) row.push(s.set[f]);
    lines.push(row.join(','));
  });
  return lines.join('\n') + '\n';
};

const coord = fc.oneof(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.constant(NaN), fc.integer({ min: 0, max: 500 }));
const arbSpec: fc.Arbitrary<Spec> = fc
  .record({
    keypoints: fc.uniqueArray(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/), { minLength: 1, maxLength: 6 }),
    frames: fc.integer({ min: 0, max: 8 }),
    withLikelihood: fc.boolean(),
    visible: fc.boolean(),
    withSet: fc.boolean(),
    nanText: fc.constantFrom('', 'NaN', 'nan'),
    seed: fc.array(coord, { minLength: 200, maxLength: 200 }),
  })
  .map(({ keypoints, frames, withLikelihood, visible, withSet, nanText, seed }) => {
    const k = keypoints.length;
    let i = 0;
    const next = (): number => seed[i++ % seed.length];
    return {
      keypoints,
      index: Array.from({ length: frames }, (_, f) => `labeled-data/session/img${String(f).padStart(4, '0')}.png`),
      xy: Array.from({ length: frames }, () => Array.from({ length: 2 * k }, next)),
      likelihood: withLikelihood ? Array.from({ length: frames }, () => Array.from({ length: k }, () => Math.abs(next()) / 1e4)) : null,
      visible,
      set: withSet ? Array.from({ length: frames }, (_, f) => ['train', 'val', 'test'][f % 3]) : null,
      nanText,
    };
  });

const same = (a: number, b: number): boolean => (Number.isNaN(a) ? Number.isNaN(b) : a === b);

describe('pose CSV round trip', () => {
  it('parses what a DeepLabCut / Lightning Pose writer produces', () => {
    fc.assert(
      fc.property(arbSpec, (s) => {
        const t = right(parsePoseCsv(writeCsv(s), 'gen.csv'));
        expect(t.file).toBe('gen.csv');
        expect(t.keypoints).toEqual(s.keypoints);
        expect(t.index).toEqual(s.index);
        const k = s.keypoints.length;
        expect([t.xy.rows, t.xy.cols]).toEqual([s.index.length, 2 * k]);
        s.xy.forEach((row, f) => row.forEach((v, c) => expect(same(t.xy.data[f * 2 * k + c], v)).toBe(true)));
        if (s.likelihood) {
          expect(t.likelihood).not.toBeNull();
          s.likelihood.forEach((row, f) => row.forEach((v, j) => expect(same(t.likelihood!.data[f * k + j], v)).toBe(true)));
        } else expect(t.likelihood).toBeNull();
        expect(t.extraCoords).toEqual(s.visible ? ['visible'] : []);
        expect(t.hasSetColumn).toBe(s.set !== null);
        if (s.set) expect(t.set).toEqual(s.set);
      }),
      { numRuns: 300 },
    );
  });

  it('selectKeypoints reorders and restricts every per-keypoint field', () => {
    fc.assert(
      fc.property(arbSpec, fc.nat(), (s, r) => {
        const t = right(parsePoseCsv(writeCsv(s), 'gen.csv'));
        const names = [...s.keypoints].reverse().filter((_, i) => (r >> i) % 2 === 0 || i === 0);
        const sel = right(selectKeypoints(t, names));
        expect(sel.keypoints).toEqual(names);
        const k = s.keypoints.length;
        names.forEach((n, j) => {
          const src = s.keypoints.indexOf(n);
          for (let f = 0; f < t.xy.rows; f++) {
            expect(same(sel.xy.data[f * 2 * names.length + 2 * j], t.xy.data[f * 2 * k + 2 * src])).toBe(true);
            expect(same(sel.xy.data[f * 2 * names.length + 2 * j + 1], t.xy.data[f * 2 * k + 2 * src + 1])).toBe(true);
            if (t.likelihood) expect(same(sel.likelihood!.data[f * names.length + j], t.likelihood.data[f * k + src])).toBe(true);
          }
        });
        expect(sel.index).toEqual(t.index);
      }),
      { numRuns: 100 },
    );
  });

  it('numbers parse like JS Number (correctly rounded)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(parseNumberCell(String(v))).toBe(v === 0 ? 0 : v); // String/Number round-trip every double
      }),
    );
    expect(parseNumberCell('0.1')).toBe(0.1);
    expect(parseNumberCell(' 1.5E+02 ')).toBe(150);
    expect(parseNumberCell('.25')).toBe(0.25);
    expect(parseNumberCell('')).toBeNaN();
    expect(parseNumberCell('NaN')).toBeNaN();
    expect(parseNumberCell('abc')).toBeNull();
    expect(parseNumberCell('0x10')).toBeNull();
    expect(parseNumberCell('inf')).toBeNull();
  });
});

describe('layouts users have', () => {
  it('Lightning Pose predictions: integer index, likelihood, trailing set column', () => {
    const text = [
      'scorer,heatmap_tracker,heatmap_tracker,heatmap_tracker,heatmap_tracker,heatmap_tracker,heatmap_tracker,set',
      'bodyparts,nose,nose,nose,tail,tail,tail,',
      'coords,x,y,likelihood,x,y,likelihood,',
      '0,1.5,2.5,0.9,3,4,0.1,train',
      '1,5,6,0.8,,,0.05,val',
    ].join('\r\n');
    const t = right(parsePoseCsv(text, 'preds.csv'));
    expect(t.index).toEqual(['0', '1']);
    expect(t.hasSetColumn).toBe(true);
    expect(t.set).toEqual(['train', 'val']);
    expect(Array.from(t.likelihood!.data)).toEqual([0.9, 0.1, 0.8, 0.05]);
    expect(Number.isNaN(t.xy.data[6]) && Number.isNaN(t.xy.data[7])).toBe(true);
  });

  it('DeepLabCut ≥ 2.2 labels: image path split over index columns, visible coords recorded', () => {
    const text = [
      'scorer,,,me,me,me,me,me,me',
      'bodyparts,,,nose,nose,nose,tail,tail,tail',
      'coords,,,x,y,visible,x,y,visible',
      'labeled-data,video1,img001.png,1,2,2,3,4,2',
      '',
      'labeled-data,video1,img002.png,,,0,7,8,2',
    ].join('\n');
    const t = right(parsePoseCsv(text, 'CollectedData_me.csv'));
    expect(t.index).toEqual(['labeled-data/video1/img001.png', 'labeled-data/video1/img002.png']);
    expect(t.keypoints).toEqual(['nose', 'tail']);
    expect(t.extraCoords).toEqual(['visible']);
    expect(t.likelihood).toBeNull();
    expect(t.hasSetColumn).toBe(false);
    expect(Array.from(t.xy.data)).toEqual([1, 2, 3, 4, NaN, NaN, 7, 8]);
  });

  it('a first frame with every keypoint unlabelled is kept (no pandas index-name guessing)', () => {
    const text = 'scorer,a,a\nbodyparts,k,k\ncoords,x,y\nimg0.png,,\nimg1.png,1,2\n';
    const t = right(parsePoseCsv(text, 'f.csv'));
    expect(t.index).toEqual(['img0.png', 'img1.png']);
  });
});

describe('errors name the file and the place', () => {
  it('missing header rows', () => {
    expect(leftOf(parsePoseCsv('scorer,a,a\nbodyparts,k,k\n', 'two.csv'))).toMatch(
      /^two\.csv: expected three header rows \(scorer, bodyparts, coords\) but the file has only 2/,
    );
    expect(leftOf(parsePoseCsv('scorer,a,a\nimg0.png,1,2\nimg1.png,3,4\n', 'nohead.csv'))).toMatch(
      /^nohead\.csv, line 2: expected three header rows .*found "img0\.png" where "bodyparts" belongs/,
    );
    expect(leftOf(parsePoseCsv('scorer,a,a\nindividuals,m1,m1\nbodyparts,k,k\ncoords,x,y\n', 'maDLC.csv'))).toMatch(
      /^maDLC\.csv, line 2: .*multi-animal files are not supported/,
    );
    expect(leftOf(parsePoseCsv('', 'empty.csv'))).toMatch(/^empty\.csv: expected three header rows/);
  });

  it('a non-numeric cell: line number in the file and column header', () => {
    const text = 'scorer,a,a,a,a\nbodyparts,nose,nose,tail,tail\ncoords,x,y,x,y\nimg0.png,1,2,3,4\n\nimg1.png,1,2,oops,4\n';
    expect(leftOf(parsePoseCsv(text, 'bad.csv'))).toBe('bad.csv, line 6, column 4 (tail x): "oops" is not a number');
  });

  it('a keypoint with only a likelihood', () => {
    const text = 'scorer,a,a,a\nbodyparts,nose,nose,tail\ncoords,x,y,likelihood\n0,1,2,0.5\n';
    expect(leftOf(parsePoseCsv(text, 'lik.csv'))).toBe('lik.csv, header: keypoint "tail" has only a likelihood column (column 4) and no x/y columns');
  });

  it('a keypoint with x but no y (and y but no x)', () => {
    const text = 'scorer,a,a,a\nbodyparts,nose,nose,tail\ncoords,x,y,x\n0,1,2,3\n';
    expect(leftOf(parsePoseCsv(text, 'xonly.csv'))).toBe('xonly.csv, header: keypoint "tail" has an x column (column 4) but no y column');
    const text2 = 'scorer,a,a\nbodyparts,tail,tail\ncoords,y,likelihood\n0,1,2\n';
    expect(leftOf(parsePoseCsv(text2, 'yonly.csv'))).toBe('yonly.csv, header: keypoint "tail" has a y column (column 2) but no x column');
  });

  it('duplicate columns, ragged rows, empty names, broken quoting', () => {
    expect(leftOf(parsePoseCsv('scorer,a,a,a\nbodyparts,k,k,k\ncoords,x,y,x\n0,1,2,3\n', 'dup.csv'))).toMatch(
      /^dup\.csv, line 3, column 4: keypoint "k" has a second "x" column \(the first is column 2\)/,
    );
    expect(leftOf(parsePoseCsv('scorer,a,a\nbodyparts,k,k\ncoords,x,y\n0,1\n', 'ragged.csv'))).toBe(
      'ragged.csv, line 4: the row has 2 cells but the header has 3',
    );
    expect(leftOf(parsePoseCsv('scorer,a,a\nbodyparts,k,\ncoords,x,y\n0,1,2\n', 'noname.csv'))).toMatch(/^noname\.csv, line 2, column 3: empty bodypart name/);
    expect(leftOf(parsePoseCsv('scorer,a,a\nbodyparts,k,k\ncoords,x,y\n0,"1,2\n', 'quote.csv'))).toMatch(/^quote\.csv: not a readable CSV file: .*[Qq]uote/);
  });

  it('selectKeypoints lists the missing names, the requested names and the file’s names', () => {
    const t: PoseTable = right(parsePoseCsv('scorer,a,a,a,a\nbodyparts,nose,nose,tail,tail\ncoords,x,y,x,y\n0,1,2,3,4\n', 'sel.csv'));
    expect(leftOf(selectKeypoints(t, ['tail', 'ear', 'paw']))).toBe(
      'sel.csv: keypoint(s) "ear", "paw" not in the file. Requested: [tail, ear, paw]; the file has: [nose, tail]',
    );
    expect(leftOf(selectKeypoints(t, ['tail', 'tail']))).toMatch(/"tail" is requested more than once/);
  });
});

describe('readPoseCsv', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'poseloss-io-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file from disk and names it in errors', () => {
    const file = path.join(dir, 'CollectedData.csv');
    writeFileSync(file, '\ufeffscorer,a,a\nbodyparts,k,k\ncoords,x,y\nimg.png,1.25,2\n');
    const t = right(readPoseCsv(file));
    expect(t.file).toBe(file);
    expect(Array.from(t.xy.data)).toEqual([1.25, 2]);
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'scorer,a,a\nbodyparts,k,k\ncoords,x,y\nimg.png,1.25,two\n');
    expect(leftOf(readPoseCsv(bad))).toBe(`${bad}, line 4, column 3 (k y): "two" is not a number`);
  });

  it('a missing file is a Left naming the path', () => {
    const missing = path.join(dir, 'nope.csv');
    expect(leftOf(readPoseCsv(missing))).toMatch(new RegExp(`^${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read the pose file`));
  });
});
