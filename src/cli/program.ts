import { readFileSync } from 'node:fs';
import { initBackend } from '../backend/index.js';
import { verifyCommand, VERIFY_USAGE } from './verify.js';
import { exampleCommand, EXAMPLE_USAGE } from './example.js';
import { demoCommand, DEMO_USAGE } from './demo.js';
import { checkCommand, CHECK_USAGE, EXPLAIN_USAGE } from './check.js';
import { explainCommand } from './explain.js';
import { metricsCommand, METRICS_USAGE } from './metrics.js';
import { bugLines, EXIT, isUserError } from './errors.js';
import { printUserError, type Out } from './guard.js';
import { installSignalCleanup } from './signals.js';

/** A command: its usage (every option) and how it runs; `needsBackend` when it computes with tfjs. */
interface Command {
  readonly usage: string;
  readonly run: (argv: readonly string[], out: Out, err: Out) => number | Promise<number>;
  readonly needsBackend: boolean;
}

/** The command table. A Map, so a name typed by the user (`constructor`, `__proto__`) is never looked up on a prototype. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['demo', { usage: DEMO_USAGE, run: demoCommand, needsBackend: true }],
  ['example', { usage: EXAMPLE_USAGE, run: exampleCommand, needsBackend: true }],
  ['verify', { usage: VERIFY_USAGE, run: verifyCommand, needsBackend: true }],
  ['check', { usage: CHECK_USAGE, run: checkCommand, needsBackend: true }],
  ['explain', { usage: EXPLAIN_USAGE, run: explainCommand, needsBackend: true }],
  ['metrics', { usage: METRICS_USAGE, run: metricsCommand, needsBackend: true }],
]);

export const USAGE = `poseloss — training losses and metrics of animal pose estimation

usage:
  poseloss demo [--steps N] [--seed S] [--out DIR] [--quick]
                                     train a small model with and without the unsupervised losses
                                     on built-in synthetic data; table side by side + report.html
  poseloss example                   every loss on a built-in synthetic batch
  poseloss verify <file-or-dir>...   run reference vectors (../shared/golden format)
  poseloss check <config.yaml> [--labels L.csv]     validate a Lightning Pose config's losses
  poseloss explain <config.yaml> [--labels L.csv]   each loss's pipeline, inputs, weight, epsilon
  poseloss metrics --config C.yaml [--labels L.csv] --preds P.csv [--preds P2.csv ...] --out DIR
                                     metric CSVs per predictions file, summary table, DIR/report.html
  poseloss <command> --help          that command's usage and options
  poseloss --version                 the version
  poseloss help                      this text

options for every command:
  --debug                            print the stack trace of an unexpected error (also POSELOSS_DEBUG=1)

exit codes: 0 done, 1 failed (a FAIL in verify) or an internal error (a bug), 2 bad arguments or input,
  130 / 143 interrupted (SIGINT / SIGTERM; unfinished outputs are removed)

environment:
  POSELOSS_BACKEND=auto|wasm|cpu|tensorflow   TensorFlow.js backend (default auto)
  POSELOSS_DEBUG=1                            as --debug`;

/** The package version, from the package.json two folders up (src/cli or a build's cli folder). */
export const version = (): string => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
};

const HELP = new Set(['--help', '-h', 'help']);

/**
 * The command line, with one error boundary: a user error prints one line per issue and exits
 * 2; anything else prints one line and "this is a bug" and exits 1, with the stack only under
 * --debug / POSELOSS_DEBUG=1. Results go to `out` (stdout), everything else to `err` (stderr).
 */
export const main = async (argv: readonly string[], out: Out = console.log, err: Out = console.error): Promise<number> => {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    err(USAGE);
    return EXIT.user;
  }
  if (HELP.has(cmd)) {
    out(USAGE);
    return EXIT.ok;
  }
  if (cmd === '--version' || cmd === '-V') {
    out(version());
    return EXIT.ok;
  }
  const command = COMMANDS.get(cmd);
  if (!command) {
    err(`poseloss: unknown command '${cmd}'${cmd.startsWith('-') ? ' (options go after the command)' : ''}\n\n${USAGE}`);
    return EXIT.user;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.usage);
    return EXIT.ok;
  }
  if (command.needsBackend) {
    const backend = await initBackend();
    err(`backend: ${backend.name} (${backend.how})`);
  }
  return command.run(rest, out, err);
};

/** Runs `main` as the process: the boundary for thrown errors, uncaught exceptions and signals. */
export const runProcess = (argv: readonly string[]): void => {
  const debug = argv.includes('--debug') || process.env.POSELOSS_DEBUG === '1';
  const args = argv.filter((a) => a !== '--debug');
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const fatal = (e: unknown): void => {
    if (isUserError(e)) {
      printUserError(e, err);
      process.exitCode = EXIT.user;
    } else {
      bugLines(e, debug).forEach(err);
      process.exitCode = EXIT.bug;
    }
  };
  installSignalCleanup(err);
  const takeOverUncaught = () => {
    // the wasm backend's Emscripten module re-throws uncaught exceptions with its own source; one boundary instead
    process.removeAllListeners('uncaughtException');
    process.removeAllListeners('unhandledRejection');
    process.on('uncaughtException', (e) => (fatal(e), process.exit()));
    process.on('unhandledRejection', (e) => (fatal(e), process.exit()));
  };
  takeOverUncaught();
  main(args, console.log, err).then(
    (code) => {
      takeOverUncaught();
      process.exit(code);
    },
    (e: unknown) => {
      takeOverUncaught();
      fatal(e);
      process.exit();
    },
  );
};

