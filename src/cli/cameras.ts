import * as fs from 'node:fs';
import * as path from 'node:path';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { type Camera, type CameraGroup, selectViews } from '../config/calibration.js';
import { issue, type PoselossIssue } from '../config/issues.js';
import { readCalibration } from '../io/calibration.js';
import { parseCalibrationIndex } from '../io/calibrationIndex.js';

type Data = { camera_params_file?: unknown; view_names?: unknown; data_dir?: unknown };

/** A calibration file read, its cameras in `data.view_names` order when given; issues under `where`. */
const readRig = (file: string, views: unknown, where: string): Either<PoselossIssue[], CameraGroup> => {
  const group = readCalibration(file);
  if (either.isLeft(group)) return either.left(group.left.map((i) => issue(`${where}: ${i.path}`, i.message)));
  return Array.isArray(views) ? selectViews(group.right, views as string[], 'data.view_names') : group;
};

/** Several sessions' rigs: every one read and checked, all with the same cameras in the same order; the first is the one returned. */
const oneLayout = (rigs: readonly Either<PoselossIssue[], CameraGroup>[], where: string): Either<PoselossIssue[], readonly Camera[]> => {
  const bad = rigs.flatMap((r) => (either.isLeft(r) ? r.left : []));
  if (bad.length) return either.left(bad);
  const groups = rigs.map((r) => (r as { right: CameraGroup }).right);
  const names = (g: CameraGroup) => g.cameras.map((c) => c.name).join(', ');
  const odd = groups.filter((g) => names(g) !== names(groups[0]));
  return odd.length
    ? either.left(
        odd.map((g) =>
          issue(
            where,
            `${g.source} has the cameras [${names(g)}], but ${groups[0].source} has [${names(groups[0])}]: every session's calibration needs the same cameras`,
          ),
        ),
      )
    : either.right(groups[0].cameras);
};

/** The reference's calibrations index: each distinct session file (paths relative to the project root) read and checked. */
const fromIndex = (index: string, root: string, views: unknown): Either<PoselossIssue[], readonly Camera[]> => {
  let text: string;
  try {
    text = fs.readFileSync(index, 'utf8');
  } catch (e) {
    return either.left([
      issue(`data.camera_params_file: ${index}`, `cannot read the calibrations index: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`),
    ]);
  }
  const rows = parseCalibrationIndex(text, index);
  if (either.isLeft(rows)) return either.left(rows.left.map((i) => issue(`data.camera_params_file: ${i.path}`, i.message)));
  const first = new Map<string, number>();
  for (const r of rows.right) if (!first.has(r.file)) first.set(r.file, r.line);
  return oneLayout(
    [...first].map(([file, line]) => readRig(path.resolve(root, file), views, `data.camera_params_file: ${index}:${line}`)),
    'data.camera_params_file',
  );
};

/**
 * The rig's cameras for a config, by the reference's documented conventions (its multi-view
 * "Camera calibration" pages), views in `data.view_names` order when given:
 * - `data.camera_params_file` naming an anipose calibration TOML;
 * - `data.camera_params_file` naming the reference's calibrations index (a `.csv`: each labeled
 *   image → its session's TOML, relative to the project root `data.data_dir`, else to the
 *   index's folder);
 * - neither: the project root's `calibration.toml`, else its `calibrations/<session>.toml`
 *   files (the reference's auto-discovery; nothing there → undefined).
 * A relative path is taken from the config file's folder. Every session file is read and checked
 * and all must have the same cameras; a loss holds one rig, so losses are built with the
 * project-level calibration, else the first session's (per-session rigs: one loss per session,
 * built with `{ cameras }`). Issues name the setting, the file, and its line or section and key.
 */
export const loadCameras = (configFile: string, data: unknown): Either<PoselossIssue[], readonly Camera[] | undefined> => {
  const d = (typeof data === 'object' && data !== null ? data : {}) as Data;
  const from = (p: string) => (path.isAbsolute(p) ? p : path.join(path.dirname(configFile), p));
  const root = typeof d.data_dir === 'string' ? from(d.data_dir) : null;
  if (d.camera_params_file === undefined || d.camera_params_file === null) return root ? discover(root, d.view_names) : either.right(undefined);
  if (typeof d.camera_params_file !== 'string')
    return either.left([
      issue('data.camera_params_file', `expected the path of a calibration.toml or a calibrations.csv index, got ${typeof d.camera_params_file}`),
    ]);
  const file = from(d.camera_params_file);
  if (path.extname(file).toLowerCase() === '.csv') return fromIndex(file, root ?? path.dirname(file), d.view_names);
  return either.map((g: CameraGroup) => g.cameras)(readRig(file, d.view_names, 'data.camera_params_file'));
};

/** The reference's auto-discovery under the project root: calibration.toml, else calibrations/*.toml (all checked). */
const discover = (root: string, views: unknown): Either<PoselossIssue[], readonly Camera[] | undefined> => {
  const project = path.join(root, 'calibration.toml');
  const dir = path.join(root, 'calibrations');
  const sessions =
    fs.existsSync(dir) && fs.statSync(dir).isDirectory()
      ? fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.toml'))
          .sort()
      : [];
  const files = [...(fs.existsSync(project) ? [project] : []), ...sessions.map((f) => path.join(dir, f))];
  if (files.length === 0) return either.right(undefined);
  return oneLayout(
    files.map((f) => readRig(f, views, 'data.data_dir')),
    'data.data_dir',
  );
};
