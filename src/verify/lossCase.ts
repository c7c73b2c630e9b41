import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { formatIssues } from '../config/issues.js';
import { createLoss } from '../losses/registry.js';
import { PREDICTION_KEYS } from '../pipeline/inputs.js';
import type { Loss } from '../pipeline/loss.js';
import type { Labels } from '../pipeline/step.js';
import { type CaseTol, caseTol, compareArray, compareShape, compareValue, type Tol } from './compare.js';
import { effectiveExpected, type GoldenCase, isJsonTensor, type JsonTensor, toTensor, values } from './format.js';
import { comparePca } from './pca.js';

export type Outcome = { ok: true } | { ok: false; message: string };
export const pass: Outcome = { ok: true };
export const fail = (message: string): Outcome => ({ ok: false, message });

/** Labels for fitted losses: the case's `fit_keypoints`. */
export const labelsOf = (c: GoldenCase): Labels | undefined => {
  const f = c.inputs.fit_keypoints;
  return f ? { data: Float64Array.from(values(f), Math.fround), rows: f.shape[0], cols: f.shape[1] } : undefined;
};

export const inputTensors = (c: GoldenCase): Record<string, tf.Tensor> =>
  Object.fromEntries(
    Object.entries(c.inputs)
      .filter(([k]) => k !== 'fit_keypoints')
      .map(([k, v]) => [k, toTensor(v)]),
  );

/** The case's tolerances: scale-aware where it is fitted on `fit_keypoints` (see `caseTol`). */
export const tolOf = (c: GoldenCase): CaseTol => caseTol(c.inputs.fit_keypoints?.data);

type Expected = {
  loss?: number | null;
  weight?: number;
  weighted?: number | null;
  logs?: { name: string; value: number | null }[];
  grads?: Record<string, JsonTensor>;
  pca?: Record<string, unknown>;
  error?: { type: string; message: string };
};

export const compareLogs = (actual: { name: string; value: number }[], expected: { name: string; value: number | null }[], tol: Tol): string | null => {
  const names = actual.map((l) => l.name).join(', ');
  const want = expected.map((l) => l.name).join(', ');
  if (names !== want) return `logs: expected names [${want}], got [${names}]`;
  for (let i = 0; i < expected.length; i++) {
    const m = compareValue(`logs ${expected[i].name}`, actual[i].value, expected[i].value, tol);
    if (m) return m;
  }
  return null;
};

/**
 * Gradients of `total(inputs)` w.r.t. each expected key, compared with the case's rules. A key
 * that `total` does not read (no selected loss reads it) has gradient zero.
 */
export const compareGrads = (
  total: (inputs: Record<string, tf.Tensor>) => tf.Scalar,
  inputs: Record<string, tf.Tensor>,
  expected: Record<string, JsonTensor>,
  tol: CaseTol,
  reads: ReadonlySet<string>,
): string | null => {
  const keys = Object.keys(expected);
  for (const k of keys) if (!inputs[k]) return `grads: expected a gradient for '${k}', which is not among the inputs`;
  const read = keys.filter((k) => reads.has(k));
  const gs = read.length
    ? tf.grads((...xs: tf.Tensor[]) => total({ ...inputs, ...Object.fromEntries(read.map((k, i) => [k, xs[i]])) }))(read.map((k) => inputs[k]))
    : [];
  try {
    for (const k of keys) {
      const i = read.indexOf(k);
      const shape = i >= 0 ? gs[i].shape : inputs[k].shape;
      const data = i >= 0 ? gs[i].dataSync() : new Float32Array(inputs[k].size);
      const m = compareShape(`grads.${k}`, shape, expected[k].shape) ?? compareArray(`grads.${k}`, data, expected[k].data, tol.grad(expected[k].data), true);
      if (m) return m;
    }
    return null;
  } finally {
    tf.dispose(gs);
  }
};

export const checkLoss = (loss: Loss, c: GoldenCase, exp: Expected, inputs: Record<string, tf.Tensor>): string | null => {
  const tol = tolOf(c);
  const r = loss(inputs, c.stage);
  try {
    const got = { loss: r.loss.dataSync()[0], weight: r.weight.dataSync()[0], weighted: r.weighted.dataSync()[0] };
    for (const key of ['loss', 'weight', 'weighted'] as const) {
      if (exp[key] === undefined) continue;
      const m = compareValue(key, got[key], exp[key] as number | null, tol.value);
      if (m) return m;
    }
    if (exp.logs) {
      const m = compareLogs(
        r.logs.map((l) => ({ name: l.name, value: l.value.dataSync()[0] })),
        exp.logs,
        tol.value,
      );
      if (m) return m;
    }
  } finally {
    tf.dispose([r.loss, r.weight, r.weighted, ...r.logs.map((l) => l.value)]);
  }
  if (exp.pca) {
    const m = comparePca(loss, exp.pca, inputs.keypoints_pred, tol.value);
    if (m) return m;
  }
  if (exp.grads && exp.loss !== null) {
    const unknown = Object.keys(exp.grads).filter((k) => !PREDICTION_KEYS.includes(k as never));
    if (unknown.length) return `grads: unexpected gradient keys ${unknown.join(', ')}`;
    return compareGrads((ins) => loss(ins, c.stage).loss, inputs, exp.grads, tol, new Set<string>(loss.reads));
  }
  return null;
};

/** Run one loss case: build (fitting from `fit_keypoints` where needed), call, compare. */
export const runLossCase = (c: GoldenCase): Outcome => {
  const exp = effectiveExpected(c) as Expected;
  const inputs = inputTensors(c);
  try {
    const built = createLoss(c.loss, c.params, { labels: labelsOf(c) });
    if (exp.error) {
      if (either.isLeft(built)) return pass;
      try {
        const r = built.right(inputs, c.stage);
        tf.dispose([r.loss, r.weight, r.weighted]);
      } catch {
        return pass;
      }
      return fail(`expected an error (${exp.error.type}: ${exp.error.message}), got a value`);
    }
    if (either.isLeft(built)) return fail(`build failed: ${formatIssues(built.left)}`);
    const m = checkLoss(built.right, c, exp, inputs);
    return m ? fail(m) : pass;
  } catch (e) {
    return fail(`threw ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(inputs));
  }
};

export { isJsonTensor };
