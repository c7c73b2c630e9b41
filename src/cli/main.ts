import { initBackend } from '../backend/index.js';
import { verifyCommand } from './verify.js';
import { exampleCommand } from './example.js';
import { demoCommand } from './demo.js';
import { checkCommand } from './check.js';
import { explainCommand } from './explain.js';
import { metricsCommand } from './metrics.js';
import { metricsMultiviewCommand, isMultiview } from './metricsMultiview.js';

const USAGE = `poseloss — training losses and metrics of animal pose estimation

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
  poseloss help                      this text

environment:
  POSELOSS_BACKEND=auto|wasm|cpu|tensorflow   TensorFlow.js backend (default auto)`;

const main = async (argv: string[]): Promise<number> => {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const commands: Record<string, (args: string[]) => number | Promise<number>> = {
    verify: (args) => verifyCommand(args),
    example: () => exampleCommand(),
    demo: (args) => demoCommand(args),
    check: (args) => checkCommand(args),
    explain: (args) => explainCommand(args),
    metrics: (args) => (isMultiview(args) ? metricsMultiviewCommand(args) : metricsCommand(args)),
  };
  const run = commands[cmd];
  if (!run) {
    console.error(`poseloss: unknown command '${cmd}'\n\n${USAGE}`);
    return 2;
  }
  const backend = await initBackend();
  console.error(`backend: ${backend.name} (${backend.how})`);
  return run(rest);
};

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`poseloss: ${e.message}`);
    process.exit(2);
  },
);
