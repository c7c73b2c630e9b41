import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `../shared` beside the repository: present in CI, absent in a user's fresh clone. */
export const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared');
export const hasShared = fs.existsSync(path.join(SHARED, 'golden'));
export const GOLDEN = path.join(SHARED, 'golden');

/** Say visibly why a suite that needs ../shared is skipped. */
export const warnIfNoShared = (suite: string): void => {
  if (!hasShared) console.warn(`SKIP ${suite}: ${SHARED} is absent (reference vectors and real data live there; CI has them)`);
};
