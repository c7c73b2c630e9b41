import { caseFiles, verifyFile } from '../verify/index.js';

/** `poseloss verify <file-or-dir>...`: one line per case, then `N passed, M failed`; exit 0 iff M = 0. */
export const verifyCommand = (targets: readonly string[], out: (line: string) => void = console.log): number => {
  if (targets.length === 0) {
    out('usage: poseloss verify <file-or-dir>...');
    return 2;
  }
  let files: string[];
  try {
    files = caseFiles(targets);
  } catch (e) {
    out(`error: ${(e as Error).message}`);
    return 2;
  }
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
};
