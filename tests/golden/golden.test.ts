import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCase, runCase } from '../../src/verify/index.js';
import { GOLDEN, hasShared, warnIfNoShared } from '../shared.js';

warnIfNoShared('golden vectors');

const files = hasShared
  ? fs
      .readdirSync(GOLDEN)
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];

/** Every reference vector through the same code as `poseloss verify`. */
describe.skipIf(!hasShared)('reference vectors (../shared/golden)', () => {
  it('finds the vectors', () => expect(files.length).toBeGreaterThan(40));
  for (const f of files) {
    it(f.replace(/\.json$/, ''), () => {
      const outcome = runCase(readCase(path.join(GOLDEN, f)));
      expect(outcome.ok ? 'PASS' : outcome.message).toBe('PASS');
    });
  }
});
