import { readFileSync } from 'node:fs';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { type CameraGroup, parseCalibration } from '../config/calibration.js';
import { issue, type PoselossIssue } from '../config/issues.js';

/** Read an anipose calibration.toml (node only; the parsing itself is browser-safe, geometry/calibration). */
export const readCalibration = (file: string): Either<PoselossIssue[], CameraGroup> => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return either.left([issue(file, `cannot read the calibration file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)]);
  }
  return parseCalibration(text, file);
};
