/** Minimal argv parsing: positionals and `--flag value` options (repeatable). */
export interface Args {
  readonly positional: string[];
  readonly options: Record<string, string[]>;
  readonly flags: Set<string>;
}

export const parseArgs = (argv: readonly string[], valued: readonly string[]): Args => {
  const positional: string[] = [];
  const options: Record<string, string[]> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split('=', 2);
      if (valued.includes(name)) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new Error(`--${name} needs a value`);
        (options[name] ??= []).push(v);
      } else flags.add(name);
    } else positional.push(a);
  }
  return { positional, options, flags };
};
