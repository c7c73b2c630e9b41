import { discardAllStaging } from '../io/output.js';
import { EXIT } from './errors.js';

const CODES = { SIGINT: EXIT.sigint, SIGTERM: EXIT.sigterm } as const;

/**
 * On SIGINT / SIGTERM: remove every staging folder of unfinished outputs, say so on stderr and
 * exit 130 / 143. Handlers run between event-loop turns, so a synchronous commit (the renames
 * that put a set of outputs in place) always completes or never starts; long loops yield.
 */
export const installSignalCleanup = (err: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void => {
  for (const sig of Object.keys(CODES) as (keyof typeof CODES)[]) {
    process.on(sig, () => {
      const n = discardAllStaging();
      err(`poseloss: interrupted by ${sig}${n ? '; unfinished outputs removed, nothing written' : ''}`);
      process.exit(CODES[sig]);
    });
  }
};
