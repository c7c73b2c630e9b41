import { runProcess } from './program.js';

// the `poseloss` command: src/cli/program.ts holds the command table and the error boundary
runProcess(process.argv.slice(2));
