/**
 * Small helpers shared by the tests/config suite: the fixtures folder, running the CLI
 * commands in-process, writing a temporary config, plain-data tensors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import * as YAML from 'yaml';
import { checkCommand } from '../../src/cli/check.js';
import { explainCommand } from '../../src/cli/explain.js';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = path.join(HERE, 'fixtures');
export const ROOT = path.resolve(HERE, '..', '..');
export const fixture = (...parts: string[]): string => path.join(FIXTURES, ...parts);
export const readFixture = (...parts: string[]): string => fs.readFileSync(fixture(...parts), 'utf8');

export interface CliRun {
  readonly code: number;
  readonly lines: string[];
}

/** Run `poseloss check|explain` in-process, collecting every line it prints (stdout and stderr, in order). */
export const cli = (command: 'check' | 'explain', argv: readonly string[]): CliRun => {
  const lines: string[] = [];
  const run = command === 'check' ? checkCommand : explainCommand;
  const push = (l: string) => void lines.push(l);
  const code = run(argv, push, push);
  return { code, lines };
};

let tmp: string | undefined;
/** Write `text` to a fresh file in this process's temporary folder; returns its path. */
export const writeTemp = (name: string, text: string): string => {
  tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-config-'));
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};

/** Remove this process's temporary folder (call from afterAll). */
export const removeTemp = (): void => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
};

/** A YAML document with some values changed, comments kept (`path` as YAML's setIn takes it). */
export const editYaml = (text: string, edits: readonly (readonly [readonly (string | number)[], unknown])[]): string => {
  const doc = YAML.parseDocument(text);
  for (const [p, v] of edits) doc.setIn(p, v === undefined ? v : doc.createNode(v));
  return doc.toString();
};

/** Plain float32 data with a shape; tensors are made only where a loss is called. */
export interface Arr {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}
export type PlainInputs = Record<string, Arr>;

export const tensorsOf = (inputs: PlainInputs): Record<string, tf.Tensor> =>
  Object.fromEntries(Object.entries(inputs).map(([k, a]) => [k, tf.tensor(a.data, [...a.shape], 'float32')]));

export const close = (a: number, b: number, rtol = 1e-5, atol = 1e-6): boolean =>
  (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= atol + rtol * Math.abs(b);

export const expectClose = (actual: number, expected: number, what: string, rtol = 1e-5, atol = 1e-6): void => {
  if (!close(actual, expected, rtol, atol)) expect.fail(`${what}: expected ${expected}, got ${actual} (rtol ${rtol}, atol ${atol})`);
};

export const expectAllClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6): void => {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++)
    if (!close(actual[i], expected[i], rtol, atol)) expect.fail(`${what}[${i}]: expected ${expected[i]}, got ${actual[i]}`);
};
