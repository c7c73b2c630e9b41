import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { UserError } from '../../src/cli/errors.js';
import { COMMANDS, main, version } from '../../src/cli/program.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `poseloss ...` in process: exit code, stdout and stderr lines. */
const run = async (...argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
};

describe('poseloss command table and help', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    '%s is an unknown command (no prototype lookup): exit 2, message and usage on stderr',
    async (name) => {
      const r = await run(name);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.split('\n')[0]).toBe(`poseloss: unknown command '${name}'`);
      expect(r.err).toContain('usage:');
    },
  );

  it('--version prints the package version on stdout', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(version()).toBe(pkg.version);
    expect(await run('--version')).toEqual({ code: 0, out: pkg.version, err: '' });
  });

  it('no command: the usage on stderr, exit 2; help / --help: on stdout, exit 0', async () => {
    const none = await run();
    expect([none.code, none.out]).toEqual([2, '']);
    expect(none.err).toMatch(/^poseloss — /);
    for (const h of ['help', '--help', '-h']) {
      const r = await run(h);
      expect([r.code, r.err]).toEqual([0, '']);
      for (const name of COMMANDS.keys()) expect(r.out).toContain(`poseloss ${name}`);
    }
  });

  for (const [name, cmd] of COMMANDS) {
    it(`${name} --help: its usage with every option it accepts, on stdout, exit 0`, async () => {
      for (const h of ['--help', '-h']) {
        const r = await run(name, h);
        expect([r.code, r.err]).toEqual([0, '']);
        expect(r.out).toMatch(new RegExp(`^usage: poseloss ${name}\\b`));
        for (const o of [...cmd.args.valued, ...(cmd.args.flags ?? []), 'debug', 'help']) expect(r.out).toMatch(new RegExp(`--${o}\\b`));
      }
    });
  }
});

describe('argument parsing', () => {
  const spec = { valued: ['out', 'preds'], flags: ['quick'], usage: 'usage: t' };
  it('--opt=value keeps everything after the first =', () => {
    expect(parseArgs(['--out=/x/run=2', '--preds', 'a=b.csv'], spec).options.get('out')).toEqual(['/x/run=2']);
    expect(parseArgs(['--out=', '--preds', 'p'], spec).options.get('out')).toEqual(['']);
  });
  it('a value that is an option, a missing value, an unknown option, a stray positional: a UserError with the usage', () => {
    const msg = (argv: string[]) => {
      try {
        parseArgs(argv, spec);
        return 'no error';
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        expect((e as UserError).usage).toBe('usage: t');
        return (e as Error).message;
      }
    };
    expect(msg(['--preds', '--out', 'X'])).toBe("--preds needs a value, got the option '--out' (write --preds=--out if that is really the value)");
    expect(msg(['--out'])).toBe('--out needs a value');
    expect(msg(['--fast'])).toBe("unknown option '--fast'");
    expect(msg(['-x'])).toBe("unknown option '-x'");
    expect(msg(['--quick=1'])).toBe("--quick takes no value (got '--quick=1')");
    expect(msg(['extra'])).toBe('unexpected argument(s): extra');
    expect(parseArgs(['--preds=--out'], spec).options.get('preds')).toEqual(['--out']);
  });
});
