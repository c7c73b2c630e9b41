import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GoldenCase } from './format.js';
import { runLossCase, fail, type Outcome } from './lossCase.js';
import { runMetricCase } from './metricCase.js';
import { runFactoryCase } from './factoryCase.js';

export interface CaseResult {
  readonly name: string;
  readonly file: string;
  readonly outcome: Outcome;
}

/** Runners for case kinds other than plain losses; a kind without one fails as "not built yet". */
const special: Record<string, (c: GoldenCase) => Outcome> = {};

export const registerCaseKind = (kind: string, runner: (c: GoldenCase) => Outcome): void => void (special[kind] = runner);

export const runCase = (c: GoldenCase): Outcome => {
  const kind = c.loss === 'factory' ? 'factory' : c.loss.startsWith('metric:') ? c.loss : 'loss';
  if (kind === 'loss') return runLossCase(c);
  if (kind.startsWith('metric:')) return runMetricCase(c);
  if (kind === 'factory') return runFactoryCase(c);
  const runner = special[kind];
  return runner ? runner(c) : fail(`not built yet: '${c.loss}' cases (${kind === 'factory' ? 'config factories' : 'metrics'}) are not implemented in this version`);
};

/** The case files under the given files or directories (directories: their *.json, sorted). */
export const caseFiles = (targets: readonly string[]): string[] =>
  targets.flatMap((t) => {
    const st = fs.statSync(t);
    if (!st.isDirectory()) return [t];
    return fs
      .readdirSync(t)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => path.join(t, f));
  });

export const readCase = (file: string): GoldenCase => {
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as GoldenCase;
  for (const k of ['case', 'loss', 'inputs', 'expected'] as const)
    if (c[k] === undefined) throw new Error(`${file}: not a reference vector (no '${k}' field)`);
  return c;
};

export const verifyFile = (file: string): CaseResult => {
  let c: GoldenCase;
  try {
    c = readCase(file);
  } catch (e) {
    return { name: path.basename(file, '.json'), file, outcome: fail((e as Error).message) };
  }
  return { name: c.case, file, outcome: runCase(c) };
};
