import * as tf from '@tensorflow/tfjs';
import { PRESETS, runDemo } from '../demo/run.js';
import { checkOutputDir } from '../io/output.js';
import { type ArgSpec, parseArgs, values } from './args.js';
import { UserError } from './errors.js';
import { guard, type Out } from './guard.js';

export const DEMO_USAGE = `usage: poseloss demo [--steps N] [--seed S] [--out DIR] [--quick]
  trains a small heatmap model twice on built-in synthetic data — supervised only, and with
  the temporal and pca_singleview losses on unlabeled frames — and prints both side by side
  --steps N   training steps per run (default ${PRESETS.default.steps}; --quick: ${PRESETS.quick.steps})
  --seed S    data, model and batch seed (default 0)
  --out DIR   where report.html, results.json and the held-out predictions go (default poseloss-out/demo)
  --quick     smaller videos and fewer steps (about half a minute)`;

export const DEMO_ARGS: ArgSpec = { valued: ['steps', 'seed', 'out'], flags: ['quick'], usage: DEMO_USAGE };

const int = (v: string | undefined, name: string, min: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new UserError(`--${name}: expected an integer ≥ ${min}, got '${v}'`, DEMO_USAGE);
  return n;
};

/** `poseloss demo`: exit 0 after printing the table and writing the report; 2 on bad arguments. */
export const demoCommand = (argv: readonly string[], out: Out = console.log, err: Out = console.error): Promise<number> =>
  guard(err, async () => {
    const args = parseArgs(argv, DEMO_ARGS);
    const steps = int(values(args, 'steps').at(-1), 'steps', 1);
    const seed = int(values(args, 'seed').at(-1), 'seed', 0);
    const quick = args.flags.has('quick');
    const dir = values(args, 'out').at(-1) ?? 'poseloss-out/demo';
    checkOutputDir(dir);
    const tty = Boolean(process.stderr.isTTY);
    await runDemo({
      steps: steps ?? (quick ? PRESETS.quick.steps : PRESETS.default.steps),
      seed: seed ?? 0,
      out: dir,
      quick,
      log: out,
      progress: tty,
      progressLine: tty ? undefined : err,
      backend: tf.getBackend(),
    });
    return 0;
  });
