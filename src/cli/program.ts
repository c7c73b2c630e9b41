import { readFileSync } from 'node:fs';
import { initBackend } from '../backend/index.js';
import type { ArgSpec } from './args.js';
import { CHECK_ARGS, checkCommand, EXPLAIN_ARGS } from './check.js';
import { DEMO_ARGS, demoCommand } from './demo.js';
import { bugLines, EXIT, isUserError } from './errors.js';
import { EXAMPLE_ARGS, exampleCommand } from './example.js';
import { explainCommand } from './explain.js';
import { type Out, printUserError } from './guard.js';
import { METRICS_ARGS, metricsCommand } from './metrics.js';
import { isMultiview, MULTIVIEW_USAGE, metricsMultiviewCommand } from './metricsMultiview.js';
import { installSignalCleanup } from './signals.js';
import { VERIFY_ARGS, verifyCommand } from './verify.js';

/** A command: the options it accepts (with its usage) and how it runs. */
interface Command {
  /** The options it accepts; `usage` names every one (a test checks). */
  readonly args: ArgSpec;
  readonly run: (argv: readonly string[], out: Out, err: Out) => number | Promise<number>;
}

/** The command table. A Map, so a name typed by the user (`constructor`, `__proto__`) is never looked up on a prototype. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['demo', { args: DEMO_ARGS, run: demoCommand }],
  ['example', { args: EXAMPLE_ARGS, run: exampleCommand }],
  ['verify', { args: VERIFY_ARGS, run: verifyCommand }],
  ['check', { args: CHECK_ARGS, run: checkCommand }],
  ['explain', { args: EXPLAIN_ARGS, run: explainCommand }],
  // with --calibration: the multi-camera metrics (its own options and usage)
  ['metrics', { args: METRICS_ARGS, run: (argv, out, err) => (isMultiview(argv) ? metricsMultiviewCommand(argv, out, err) : metricsCommand(argv, out, err)) }],
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
  poseloss metrics --calibration calibration.toml --preds A.csv B.csv ... --out DIR [--views A,B,...]
                   [--likelihood-threshold P]   multi-camera: triangulate, per-view reprojection
                                     errors, 3-D points and temporal norm (P default 0.5)
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

/** Options every command takes, printed under each command's own. */
export const COMMON_OPTIONS = `  --help      this text
  --debug     on an internal error, also print its stack trace (or set POSELOSS_DEBUG=1)`;

/**
 * The command line, with one error boundary: a user error prints one line per issue and exits
 * 2; anything else prints one line and "this is a bug" and exits 1, with the stack only under
 * --debug / POSELOSS_DEBUG=1. Results go to `out` (stdout), everything else to `err` (stderr).
 */
export const main = async (argv: readonly string[], out: Out = console.log, err: Out = console.error, onBackend?: () => void): Promise<number> => {
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
    out(`${command.args.usage}${cmd === 'metrics' ? `\n${MULTIVIEW_USAGE}` : ''}\n${COMMON_OPTIONS}`);
    return EXIT.ok;
  }
  // every command computes with tfjs
  const backend = await initBackend();
  err(`backend: ${backend.name} (${backend.how})`);
  onBackend?.();
  return command.run(rest, out, err);
};

/**
 * The process-wide boundary: uncaught exceptions and unhandled rejections print as a user error
 * (exit 2) or as a bug (one line, exit 1; the stack with `debug`), and SIGINT/SIGTERM remove
 * unfinished outputs. Replaces the handlers the wasm backend's Emscripten module installs (they
 * re-throw, printing its minified source); call it again after the backend is initialised.
 */
export const installBoundary = (debug: boolean, err: Out): ((e: unknown) => void) => {
  const fatal = (e: unknown): void => {
    if (isUserError(e)) {
      printUserError(e, err);
      process.exitCode = EXIT.user;
    } else {
      bugLines(e, debug).forEach(err);
      process.exitCode = EXIT.bug;
    }
  };
  process.removeAllListeners('uncaughtException');
  process.removeAllListeners('unhandledRejection');
  process.on('uncaughtException', (e) => (fatal(e), process.exit()));
  process.on('unhandledRejection', (e) => (fatal(e), process.exit()));
  return fatal;
};

/** Runs `main` as the process, inside `installBoundary`; `--debug` may appear anywhere in argv. */
export const runProcess = (argv: readonly string[]): void => {
  const debug = argv.includes('--debug') || process.env.POSELOSS_DEBUG === '1';
  const args = argv.filter((a) => a !== '--debug');
  const err = (line: string) => void process.stderr.write(`${line}\n`);
  installSignalCleanup(err);
  installBoundary(debug, err);
  // a closed stdout (`poseloss example | head -1`) ends the run quietly, as other command-line tools do
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(EXIT.ok);
  });
  main(args, console.log, err, () => installBoundary(debug, err)).then(
    (code) => {
      process.exit(code);
    },
    (e: unknown) => {
      installBoundary(debug, err)(e);
      process.exit();
    },
  );
};
