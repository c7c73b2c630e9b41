import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import * as t from 'io-ts';
import { parse as parseToml, TomlError } from 'smol-toml';
import { strict } from './codecs.js';
import { issue, type PoselossIssue } from './issues.js';
import { report } from './reporter.js';

/**
 * One camera of an anipose `calibration.toml` (`[cam_N]` section): pinhole intrinsics, OpenCV's
 * 5-coefficient distortion, and the world → camera transform x_c = R(rotation)·X + translation.
 */
export interface Camera {
  readonly name: string;
  /** Image [width, height] in pixels. */
  readonly size: readonly number[];
  /** 3×3 intrinsics [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] (skew is not used). */
  readonly matrix: readonly (readonly number[])[];
  /** [k1, k2, p1, p2, k3]. */
  readonly distortions: readonly number[];
  /** Rodrigues vector (axis × angle, radians). */
  readonly rotation: readonly number[];
  readonly translation: readonly number[];
}

/** The cameras of a rig in view order, and where they came from (for messages). */
export interface CameraGroup {
  readonly source: string;
  readonly cameras: readonly Camera[];
}

const describe = (u: unknown): string =>
  Array.isArray(u) ? `a list of ${u.length}` : typeof u === 'number' ? String(u) : u === undefined ? 'nothing' : typeof u === 'string' ? `'${u}'` : typeof u;

/** A list of exactly `n` finite numbers; the error names what was found. */
const vector = (n: number, what: string) =>
  new t.Type<number[], number[], unknown>(
    `${n} finite numbers ${what}`,
    (u): u is number[] => Array.isArray(u) && u.length === n && u.every((x) => typeof x === 'number' && Number.isFinite(x)),
    (u, c) => {
      if (!Array.isArray(u) || u.length !== n) return t.failure(u, c, `expected ${n} numbers ${what}, got ${describe(u)}`);
      const bad = u.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
      if (bad >= 0) return t.failure(u, c, `expected a finite number at [${bad}], got ${describe(u[bad])}`);
      return t.success(u as number[]);
    },
    t.identity,
  );

/** A rows × cols matrix of finite numbers (a list of rows). */
const matrix = (rows: number, cols: number, what: string) =>
  new t.Type<number[][], number[][], unknown>(
    `a ${rows}×${cols} matrix ${what}`,
    (u): u is number[][] => Array.isArray(u) && u.length === rows && u.every((r) => vector(cols, '').is(r)),
    (u, c) => {
      const shape = Array.isArray(u) ? `${u.length} rows of [${u.map((r) => (Array.isArray(r) ? r.length : describe(r))).join(', ')}]` : describe(u);
      if (!Array.isArray(u) || u.length !== rows || u.some((r) => !Array.isArray(r) || r.length !== cols))
        return t.failure(u, c, `expected a ${rows}×${cols} matrix ${what}, got ${shape}`);
      for (let i = 0; i < rows; i++) {
        const j = (u[i] as unknown[]).findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
        if (j >= 0) return t.failure(u, c, `expected a finite number at [${i}][${j}], got ${describe((u[i] as unknown[])[j])}`);
      }
      return t.success(u as number[][]);
    },
    t.identity,
  );

const positiveFocal = new t.Type<number[][], number[][], unknown>(
  'intrinsics with positive focal lengths',
  (u): u is number[][] => matrix(3, 3, '').is(u) && u[0][0] > 0 && u[1][1] > 0,
  (u, c) => {
    const r = matrix(3, 3, '[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]').validate(u, c);
    if (either.isLeft(r)) return r;
    const m = r.right;
    return m[0][0] > 0 && m[1][1] > 0
      ? t.success(m)
      : t.failure(u, c, `expected positive focal lengths fx = matrix[0][0], fy = matrix[1][1], got ${m[0][0]}, ${m[1][1]}`);
  },
  t.identity,
);

const notFisheye = new t.Type<false, false, unknown>(
  'false',
  (u): u is false => u === false,
  (u, c) =>
    u === false
      ? t.success(false)
      : t.failure(u, c, `fisheye cameras are not supported (only OpenCV's 5-coefficient pinhole model), got fisheye = ${String(u)}`),
  t.identity,
);

/** One `[cam_N]` section; unknown keys are errors (with the closest known key). */
export const CameraSection = strict(
  'a camera section',
  {
    name: new t.Type<string, string, unknown>('a camera name (a string)', t.string.is, t.string.validate, t.identity),
    size: vector(2, '[width, height]'),
    matrix: positiveFocal,
    distortions: vector(5, '[k1, k2, p1, p2, k3]'),
    rotation: vector(3, '(Rodrigues vector)'),
    translation: vector(3, '[tx, ty, tz]'),
    fisheye: notFisheye,
  },
  { fisheye: false },
);

/** "expected X, got nothing" reads as a missing key. */
const missingKey = (i: PoselossIssue): PoselossIssue => {
  const m = /^expected (.*), got nothing$/.exec(i.message);
  return m ? issue(i.path, `missing key (expected ${m[1]})`) : i;
};

/**
 * Decode the parsed TOML of an anipose calibration: every section except `[metadata]` is a
 * camera, in the string-sorted order of the section names (as aniposelib's CameraGroup.load,
 * so `cam_10` sorts before `cam_2`). Every issue names the file, the section and the key.
 */
export const decodeCalibration = (doc: unknown, source: string): Either<PoselossIssue[], CameraGroup> => {
  if (typeof doc !== 'object' || doc === null) return either.left([issue(source, 'expected TOML sections [cam_0], [cam_1], …')]);
  const sections = Object.keys(doc)
    .filter((k) => k !== 'metadata')
    .sort();
  if (sections.length === 0) return either.left([issue(source, 'no camera sections (expected [cam_0], [cam_1], … as anipose writes them)')]);
  const issues: PoselossIssue[] = [];
  const cameras: Camera[] = [];
  for (const s of sections) {
    const r = CameraSection.decode((doc as Record<string, unknown>)[s]);
    if (either.isLeft(r)) issues.push(...report(r.left, `${source} [${s}]`).map(missingKey));
    else cameras.push(r.right);
  }
  const seen = new Map<string, string>();
  sections.forEach((s, i) => {
    const n = cameras.length === sections.length ? cameras[i].name : null;
    if (n === null) return;
    if (seen.has(n)) issues.push(issue(`${source} [${s}].name`, `camera name '${n}' is also the name of [${seen.get(n)}]`));
    seen.set(n, s);
  });
  return issues.length ? either.left(issues) : either.right({ source, cameras });
};

/** Parse and decode a calibration.toml's text; `source` names the file in messages. */
export const parseCalibration = (text: string, source: string): Either<PoselossIssue[], CameraGroup> => {
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch (e) {
    const where = e instanceof TomlError ? `${source}:${e.line}:${e.column}` : source;
    return either.left([issue(where, `not valid TOML: ${(e as Error).message.split('\n')[0]}`)]);
  }
  return decodeCalibration(doc, source);
};

/**
 * The group's cameras in the order of `views` (camera names), for a config's `data.view_names`
 * or a command's `--views`; `where` names that setting in messages. Every name must be a
 * camera of the file and the counts must match.
 */
export const selectViews = (group: CameraGroup, views: readonly string[], where: string): Either<PoselossIssue[], CameraGroup> => {
  const names = group.cameras.map((c) => c.name);
  const issues: PoselossIssue[] = [];
  if (views.length !== names.length)
    issues.push(issue(where, `${views.length} views [${views.join(', ')}], but ${group.source} has ${names.length} cameras [${names.join(', ')}]`));
  views.forEach((v, i) => {
    if (!names.includes(v)) issues.push(issue(`${where}[${i}]`, `no camera named '${v}' in ${group.source} (cameras: ${names.join(', ')})`));
  });
  if (new Set(views).size !== views.length) issues.push(issue(where, `a view is named twice: [${views.join(', ')}]`));
  return issues.length ? either.left(issues) : either.right({ source: group.source, cameras: views.map((v) => group.cameras[names.indexOf(v)]) });
};
