import * as fs from 'node:fs';
import { checkInputFile } from '../io/output.js';
import { caseFiles, verifyFile } from '../verify/index.js';
import { type ArgSpec, parseArgs } from './args.js';
import { UserError } from './errors.js';
import { guardSync, type Out } from './guard.js';

/** Largest reference-vector file read (the golden cases are at most a few MB). */
const MAX_CASE_BYTES = 256 * 1024 * 1024;

export const VERIFY_USAGE = `usage: poseloss verify <file-or-dir>...
  runs reference vectors (the ../shared/golden format): one PASS/FAIL line per case, then the count;
  exit 0 when every case passes, 1 when one fails, 2 when a file or folder cannot be read`;

export const VERIFY_ARGS: ArgSpec = { valued: [], positional: true, usage: VERIFY_USAGE };

/** `poseloss verify <file-or-dir>...`: one line per case, then `N passed, M failed`; exit 0 iff M = 0. */
export const verifyCommand = (argv: readonly string[], out: Out = console.log, err: Out = console.error): number =>
  guardSync(err, () => {
    const targets = parseArgs(argv, VERIFY_ARGS).positional;
    if (targets.length === 0) throw new UserError('give at least one case file or folder', VERIFY_USAGE);
    for (const t of targets) if (!fs.existsSync(t)) throw new UserError(`${t}: no such file or folder`);
    let files: string[];
    try {
      files = caseFiles(targets);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    // a case file must be a regular file of sane size: /dev/zero or a pipe would read forever
    for (const f of files) checkInputFile(f, 'case file', MAX_CASE_BYTES);
    let passed = 0;
    let failed = 0;
    for (const f of files) {
      const r = verifyFile(f);
      if (r.outcome.ok) {
        passed++;
        out(`PASS ${r.name}`);
      } else {
        failed++;
        out(`FAIL ${r.name}: ${r.outcome.message}`);
      }
    }
    out(`${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  });
