import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { type CameraGroup, parseCalibration, selectViews } from '../../src/config/calibration.js';
import { formatIssues } from '../../src/config/issues.js';
import { readCalibration } from '../../src/io/calibration.js';
import { hasShared, SHARED, warnIfNoShared } from '../shared.js';

const section = (n: number, name: string, over: Record<string, string> = {}): string => {
  const keys: Record<string, string> = {
    name: `"${name}"`,
    size: '[ 832, 632,]',
    matrix: '[ [ 2000.0, 0.0, 416.0,], [ 0.0, 2000.0, 316.0,], [ 0.0, 0.0, 1.0,],]',
    distortions: '[ -0.1, 0.0, 0.0, 0.0, 0.0,]',
    rotation: '[ 0.1, 0.2, 0.3,]',
    translation: '[ 1.0, 2.0, 50.0,]',
    ...over,
  };
  return `[cam_${n}]\n${Object.entries(keys)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n')}\n`;
};

const rig = (...sections: string[]) => sections.join('\n') + '\n[metadata]\nadjusted = true\nerror = 1.5\n';

const errorsOf = (text: string): string => {
  const r = parseCalibration(text, 'rig/calibration.toml');
  if (either.isRight(r)) throw new Error('expected errors, got a camera group');
  return formatIssues(r.left);
};

const ok = (text: string): CameraGroup => {
  const r = parseCalibration(text, 'rig/calibration.toml');
  if (either.isLeft(r)) throw new Error(formatIssues(r.left));
  return r.right;
};

describe('calibration.toml (anipose layout)', () => {
  it('reads every camera section in string-sorted order, skipping [metadata]', () => {
    const g = ok(rig(section(2, 'C'), section(0, 'A'), section(10, 'K'), section(1, 'B')));
    expect(g.cameras.map((c) => c.name)).toEqual(['A', 'B', 'K', 'C']); // cam_10 sorts before cam_2, as aniposelib
    expect(g.cameras[0].matrix[0][0]).toBe(2000);
    expect(g.cameras[0].distortions).toEqual([-0.1, 0, 0, 0, 0]);
    expect(g.cameras[0].translation).toEqual([1, 2, 50]);
  });

  it('names file, section and key for a missing key', () => {
    expect(errorsOf(rig(section(0, 'A'), section(1, 'B', { translation: '' })))).toBe(
      'rig/calibration.toml [cam_1].translation: missing key (expected 3 numbers [tx, ty, tz])',
    );
  });

  it('names the wrong matrix shape and what was found', () => {
    expect(errorsOf(rig(section(0, 'A', { matrix: '[[1.0, 0.0, 2.0], [0.0, 1.0]]' })))).toBe(
      'rig/calibration.toml [cam_0].matrix: expected a 3×3 matrix [[fx, 0, cx], [0, fy, cy], [0, 0, 1]], got 2 rows of [3, 2]',
    );
    expect(errorsOf(rig(section(0, 'A', { distortions: '[0.1, 0.0, 0.0, 0.0]' })))).toContain(
      '[cam_0].distortions: expected 5 numbers [k1, k2, p1, p2, k3], got a list of 4',
    );
  });

  it('rejects non-finite numbers (TOML nan/inf) with their position', () => {
    expect(errorsOf(rig(section(0, 'A', { rotation: '[0.0, nan, 0.0]' })))).toBe(
      'rig/calibration.toml [cam_0].rotation: expected a finite number at [1], got NaN',
    );
    expect(errorsOf(rig(section(0, 'A', { matrix: '[[1.0, 0.0, 2.0], [0.0, 1.0, inf], [0.0, 0.0, 1.0]]' })))).toContain(
      '[cam_0].matrix: expected a finite number at [1][2], got Infinity',
    );
    expect(errorsOf(rig(section(0, 'A', { matrix: '[[-1.0, 0.0, 2.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]' })))).toContain('expected positive focal lengths');
  });

  it('reports every issue at once; unknown keys name the closest; fisheye is refused', () => {
    const e = errorsOf(rig(section(0, 'A', { fishey: 'true', size: '[1]' }), section(1, 'B', { fisheye: 'true' })));
    expect(e).toContain("[cam_0].fishey: unknown key 'fishey' (did you mean 'fisheye'?)");
    expect(e).toContain('[cam_0].size: expected 2 numbers [width, height], got a list of 1');
    expect(e).toContain('[cam_1].fisheye: fisheye cameras are not supported');
  });

  it('rejects duplicate camera names, empty files and invalid TOML (with line and column)', () => {
    expect(errorsOf(rig(section(0, 'A'), section(1, 'A')))).toBe("rig/calibration.toml [cam_1].name: camera name 'A' is also the name of [cam_0]");
    expect(errorsOf('[metadata]\nerror = 1.0\n')).toContain('no camera sections');
    expect(errorsOf('[cam_0\nname = "A"\n')).toMatch(/^rig\/calibration\.toml:1:\d+: not valid TOML/);
  });

  it('selects views by name; a count or name mismatch names the setting', () => {
    const g = ok(rig(section(0, 'A'), section(1, 'B'), section(2, 'C')));
    const s = selectViews(g, ['C', 'A', 'B'], 'data.view_names');
    expect(either.isRight(s) && s.right.cameras.map((c) => c.name)).toEqual(['C', 'A', 'B']);
    const bad = selectViews(g, ['A', 'D'], 'data.view_names');
    expect(either.isLeft(bad) && formatIssues(bad.left)).toBe(
      "data.view_names: 2 views [A, D], but rig/calibration.toml has 3 cameras [A, B, C]\ndata.view_names[1]: no camera named 'D' in rig/calibration.toml (cameras: A, B, C)",
    );
  });

  it('readCalibration names an unreadable file; reads a written one', () => {
    const r = readCalibration('/nonexistent/calibration.toml');
    expect(either.isLeft(r) && formatIssues(r.left)).toBe('/nonexistent/calibration.toml: cannot read the calibration file: ENOENT');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'calib-'));
    const f = path.join(dir, 'calibration.toml');
    fs.writeFileSync(f, rig(section(0, 'A'), section(1, 'B')));
    const g = readCalibration(f);
    expect(either.isRight(g) && g.right.cameras.length).toBe(2);
    fs.rmSync(dir, { recursive: true });
  });

  warnIfNoShared('fly calibration.toml');
  it.skipIf(!hasShared)('reads the fly rig (three cameras, only k1 non-zero)', () => {
    const g = readCalibration(path.join(SHARED, 'data/predictions/fly/calibration.toml'));
    if (either.isLeft(g)) throw new Error(formatIssues(g.left));
    expect(g.right.cameras.map((c) => c.name)).toEqual(['Cam-A', 'Cam-B', 'Cam-C']);
    expect(g.right.cameras.map((c) => c.distortions[0])).toEqual([-58.1898806599525, 20.68372493071476, -6468.60716369641]);
  });
});
