import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { formatIssues } from '../config/issues.js';
import { buildLossFactories } from '../lp/factory.js';
import { compareArray, compareValue } from './compare.js';
import { effectiveExpected, type GoldenCase, isJsonTensor, type JsonTensor, values } from './format.js';
import { compareGrads, compareLogs, fail, inputTensors, labelsOf, type Outcome, pass, tolOf } from './lossCase.js';

type Expected = {
  loss?: number | null;
  loss_names?: string[];
  logs?: { name: string; value: number | null }[];
  grads?: Record<string, JsonTensor>;
  instances?: Record<string, { weight: number; epsilon: number | (number | null)[] | JsonTensor | null }>;
  other_factory_loss_names?: string[];
  error?: { type: string; message: string };
};

type Params = { config: unknown; factory: 'supervised' | 'unsupervised'; anneal_weight: number | null };

const names = (what: string, actual: readonly string[], expected: readonly string[]) =>
  actual.join(',') === expected.join(',') ? null : `${what}: expected [${expected.join(', ')}], got [${actual.join(', ')}]`;

/** A factory case: build both factories from the config fragment, call the named one with every input. */
export const runFactoryCase = (c: GoldenCase): Outcome => {
  const p = c.params as unknown as Params;
  const exp = effectiveExpected(c) as Expected;
  const built = buildLossFactories(p.config, { labels: labelsOf(c) });
  if (exp.error) return either.isLeft(built) ? pass : fail(`expected an error (${exp.error.type}: ${exp.error.message}), got factories`);
  if (either.isLeft(built)) return fail(`build failed: ${formatIssues(built.left)}`);
  const factory = built.right[p.factory];
  const other = built.right[p.factory === 'supervised' ? 'unsupervised' : 'supervised'];
  const inputs = inputTensors(c);
  const tol = tolOf(c);
  try {
    const m0 =
      (exp.loss_names && names('loss_names', factory.names, exp.loss_names)) ||
      (exp.other_factory_loss_names && names('other_factory_loss_names', other.names, exp.other_factory_loss_names));
    if (m0) return fail(m0);
    for (const [name, inst] of Object.entries(exp.instances ?? {})) {
      const member = factory.members.find((m) => m.name === name);
      if (!member) return fail(`instances: no loss '${name}' in the ${p.factory} factory`);
      const m = compareValue(`instances.${name}.weight`, member.loss.weight, inst.weight, tol.value);
      if (m) return fail(m);
      if (inst.epsilon !== null && inst.epsilon !== undefined) {
        const eps = member.loss.epsilon;
        // a per-keypoint epsilon is a plain list or a TENSOR object; a scalar TENSOR is a number
        const want = isJsonTensor(inst.epsilon) ? (inst.epsilon.shape.length === 0 ? values(inst.epsilon)[0] : inst.epsilon.data) : inst.epsilon;
        const m2 = Array.isArray(want)
          ? compareArray(`instances.${name}.epsilon`, Array.isArray(eps) ? eps : [], want, tol.value)
          : compareValue(`instances.${name}.epsilon`, typeof eps === 'number' ? eps : NaN, want as number, tol.value);
        if (m2) return fail(m2);
      }
    }
    const r = factory(inputs, c.stage, p.anneal_weight);
    try {
      const m =
        (exp.loss !== undefined ? compareValue('loss', r.total.dataSync()[0], exp.loss, tol.value) : null) ??
        (exp.logs
          ? compareLogs(
              r.logs.map((l) => ({ name: l.name, value: l.value.dataSync()[0] })),
              exp.logs,
              tol.value,
            )
          : null);
      if (m) return fail(m);
    } finally {
      tf.dispose([r.total, ...r.logs.map((l) => l.value)]);
    }
    if (exp.grads && exp.loss !== null) {
      const reads = new Set<string>(factory.members.flatMap((mb) => mb.loss.reads));
      const m = compareGrads((ins) => factory(ins, c.stage, p.anneal_weight).total, inputs, exp.grads, tol, reads);
      if (m) return fail(m);
    }
    return pass;
  } catch (e) {
    return fail(`threw ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(inputs));
  }
};
