/**
 * Every config under examples/ passes `poseloss check` as a user runs it (the CLI command in process,
 * files found relative to the config, e.g. a calibration beside it), and its composed losses are
 * listed. The folder is enumerated: a new example is covered without editing this test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.js';
import { explainCommand } from '../../src/cli/explain.js';
import { PROJECT_ROOT } from '../../src/verify/configCase.js';

const EXAMPLES = path.join(PROJECT_ROOT, 'examples');
const yamls = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? yamls(p) : /\.ya?ml$/.test(e.name) ? [p] : [];
  });
const FILES = yamls(EXAMPLES).sort();

const run = (command: typeof checkCommand, file: string) => {
  const out: string[] = [];
  const code = command(
    [file],
    (l) => out.push(l),
    (l) => out.push(l),
  );
  return { code, text: out.join('\n') };
};

describe('examples/: every config as a user checks it', () => {
  it('finds the examples (the MMPose catalogue and the multi-view compositions)', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(13);
    expect(FILES.some((f) => f.includes(`${path.sep}multiview${path.sep}`))).toBe(true);
  });

  it.each(FILES.map((f) => [path.relative(PROJECT_ROOT, f), f]))('%s: check passes and explain describes each loss it selects', (_rel, file) => {
    const c = run(checkCommand, file);
    expect(c.code, c.text).toBe(0);
    expect(c.text).toMatch(/^ok: \d+ loss/m);
    const e = run(explainCommand, file);
    expect(e.code, e.text).toBe(0);
    expect(e.text).toMatch(/pipeline:/);
  });
});
