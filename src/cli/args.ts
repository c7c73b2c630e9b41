import { UserError } from './errors.js';

/** What a command accepts, declared next to it: options taking a value, flags, positionals. */
export interface ArgSpec {
  /** Options that take a value (`--name V` or `--name=V`); each may be repeated. */
  readonly valued: readonly string[];
  /** Options without a value. */
  readonly flags?: readonly string[];
  /** Whether positional arguments are accepted. */
  readonly positional?: boolean;
  /** Printed after an argument error. */
  readonly usage: string;
}

/** Parsed argv: positionals and options by name (in the order given). */
export interface Args {
  readonly positional: string[];
  readonly options: ReadonlyMap<string, string[]>;
  readonly flags: ReadonlySet<string>;
}

/** The values given for `name` (empty when none). */
export const values = (a: Args, name: string): string[] => a.options.get(name) ?? [];

/**
 * argv against a command's declared options: `--name value` or `--name=value` (the value is
 * everything after the first `=`). An unknown option, a missing value, or a value that looks
 * like an option (`--preds --out X`) is a `UserError` carrying the usage. `--` ends options.
 */
export const parseArgs = (argv: readonly string[], spec: ArgSpec): Args => {
  const positional: string[] = [];
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  const fail = (m: string): never => {
    throw new UserError(m, spec.usage);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      if (a.startsWith('-') && a !== '-' && !/^-\d/.test(a)) fail(`unknown option '${a}'`);
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
    if (spec.valued.includes(name)) {
      let v: string | undefined;
      if (eq !== -1) v = a.slice(eq + 1);
      else {
        v = argv[++i];
        if (v === undefined) fail(`--${name} needs a value`);
        if (v!.startsWith('--')) fail(`--${name} needs a value, got the option '${v}' (write --${name}=${v} if that is really the value)`);
      }
      const list = options.get(name) ?? [];
      list.push(v!);
      options.set(name, list);
    } else if (spec.flags?.includes(name)) {
      if (eq !== -1) fail(`--${name} takes no value (got '${a}')`);
      flags.add(name);
    } else fail(`unknown option '--${name}'`);
  }
  if (positional.length && !spec.positional) fail(`unexpected argument(s): ${positional.join(' ')}`);
  return { positional, options, flags };
};
