import { isUserError, UserError } from './errors.js';

export type Out = (line: string) => void;

/** A user error as printed: `error: …` per line of its message, then the usage when it has one. */
export const printUserError = (e: Error, err: Out): void => {
  for (const line of e.message.split('\n')) if (line.trim()) err(`error: ${line}`);
  if (e instanceof UserError && e.usage) err(e.usage);
};

/**
 * Runs a command body: a user error (bad argument, file, config) is printed on `err` and gives
 * exit 2; anything else propagates to the CLI's boundary, which reports it as a bug.
 */
export const guard = async (err: Out, body: () => number | Promise<number>): Promise<number> => {
  try {
    return await body();
  } catch (e) {
    if (!isUserError(e)) throw e;
    printUserError(e, err);
    return 2;
  }
};

/** `guard` for a synchronous command body. */
export const guardSync = (err: Out, body: () => number): number => {
  try {
    return body();
  } catch (e) {
    if (!isUserError(e)) throw e;
    printUserError(e, err);
    return 2;
  }
};
