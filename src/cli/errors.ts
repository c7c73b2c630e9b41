import { LossInputError, PoselossError } from '../config/issues.js';
import { FileError } from '../io/output.js';

/**
 * A mistake in what the user gave (arguments, files, configs): printed as one line (or one
 * line per issue), never with a stack, exit 2. `usage` is printed after the message when set.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Errors whose message is meant for the user: ours, and the library's input/config errors. */
export const isUserError = (e: unknown): e is Error =>
  e instanceof UserError || e instanceof FileError || e instanceof PoselossError || e instanceof LossInputError;

/** Exit codes of the command line (README "Errors and limits"). */
export const EXIT = { ok: 0, failed: 1, bug: 1, user: 2, sigint: 130, sigterm: 143 } as const;

/** The first line of an error message, so an unexpected error never spills a page of library source. */
export const firstLine = (e: unknown): string => {
  const m = e instanceof Error ? e.message : String(e);
  const line = m.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
};

/** What the CLI prints for an error that is not the user's: one line, then "this is a bug". */
export const bugLines = (e: unknown, debug: boolean): string[] => {
  const name = e instanceof Error ? e.name : typeof e;
  const lines = [
    `poseloss: internal error: ${name}: ${firstLine(e)}`,
    'this is a bug in poseloss; please report it with the command you ran' + (debug ? '' : ' (run with --debug or POSELOSS_DEBUG=1 for the stack trace)'),
  ];
  if (debug && e instanceof Error && e.stack) lines.push(e.stack);
  return lines;
};

/** For commands that write all or nothing: print each error, then that nothing was written to `dir`; exit 2. */
export const nothingWritten =
  (err: (line: string) => void, dir: string) =>
  (errors: readonly string[]): number => {
    for (const e of errors) err(`error: ${e}`);
    err(`nothing written to ${dir}`);
    return EXIT.user;
  };
