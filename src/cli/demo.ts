import * as tf from '@tensorflow/tfjs';
import { parseArgs } from './args.js';
import { runDemo, PRESETS } from '../demo/run.js';

type Out = (line: string) => void;

export const DEMO_USAGE = `usage: poseloss demo [--steps N] [--seed S] [--out DIR] [--quick]
  trains a small heatmap model twice on built-in synthetic data — supervised only, and with
  the temporal and pca_singleview losses on unlabeled frames — and prints both side by side
  --steps N   training steps per run (default ${PRESETS.default.steps}; --quick: ${PRESETS.quick.steps})
  --seed S    data, model and batch seed (default 0)
  --out DIR   where report.html goes (default poseloss-out/demo)
  --quick     smaller videos and fewer steps (about half a minute)`;

const int = (v: string | undefined, name: string, min: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer ≥ ${min}, got '${v}'`);
  return n;
};

/** `poseloss demo`: exit 0 after printing the table and writing the report; 2 on bad arguments. */
export const demoCommand = async (argv: readonly string[], out: Out = console.log): Promise<number> => {
  let steps: number | undefined;
  let seed: number | undefined;
  let args;
  try {
    args = parseArgs(argv, ['steps', 'seed', 'out']);
    steps = int(args.options.steps?.at(-1), 'steps', 1);
    seed = int(args.options.seed?.at(-1), 'seed', 0);
  } catch (e) {
    out(`error: ${(e as Error).message}\n${DEMO_USAGE}`);
    return 2;
  }
  if (args.flags.has('help')) {
    out(DEMO_USAGE);
    return 0;
  }
  const unknown = [...args.flags].filter((f) => f !== 'quick');
  if (args.positional.length || unknown.length) {
    out(`error: unexpected ${[...args.positional, ...unknown.map((f) => `--${f}`)].join(' ')}\n${DEMO_USAGE}`);
    return 2;
  }
  const quick = args.flags.has('quick');
  await runDemo({
    steps: steps ?? (quick ? PRESETS.quick.steps : PRESETS.default.steps),
    seed: seed ?? 0,
    out: args.options.out?.at(-1) ?? 'poseloss-out/demo',
    quick,
    log: out,
    progress: Boolean(process.stderr.isTTY),
    backend: tf.getBackend(),
  });
  return 0;
};
