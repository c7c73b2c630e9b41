import * as path from 'node:path';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { type Camera, selectViews } from '../config/calibration.js';
import { issue, type PoselossIssue } from '../config/issues.js';
import { readCalibration } from '../io/calibration.js';

/**
 * The rig's cameras a config names: `data.camera_params_file` (an anipose calibration.toml; a
 * relative path is taken from the config file's folder), in the order of `data.view_names`
 * when given (each must be a camera of the file). No file named → undefined.
 */
export const loadCameras = (configFile: string, data: unknown): Either<PoselossIssue[], readonly Camera[] | undefined> => {
  const d = (typeof data === 'object' && data !== null ? data : {}) as { camera_params_file?: unknown; view_names?: unknown };
  if (d.camera_params_file === undefined || d.camera_params_file === null) return either.right(undefined);
  if (typeof d.camera_params_file !== 'string')
    return either.left([issue('data.camera_params_file', `expected the path of a calibration.toml, got ${typeof d.camera_params_file}`)]);
  const file = path.isAbsolute(d.camera_params_file) ? d.camera_params_file : path.join(path.dirname(configFile), d.camera_params_file);
  const group = readCalibration(file);
  if (either.isLeft(group)) return either.left(group.left.map((i) => issue(`data.camera_params_file: ${i.path}`, i.message)));
  if (!Array.isArray(d.view_names)) return either.right(group.right.cameras);
  return either.map((g: { cameras: readonly Camera[] }) => g.cameras)(selectViews(group.right, d.view_names as string[], 'data.view_names'));
};
