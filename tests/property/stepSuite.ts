/**
 * The step suite: each step against the plain-JS (float64) reference it declares next to its
 * code, on the inputs its own generators draw. tests/property/stepReferences.test.ts runs it on
 * the whole step registry; a step without a reference fails it.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../src/config/issues.js';
import { INPUT_KINDS } from '../../src/pipeline/keys.js';
import type { AnyStepDef, BuiltStep, Kinks, Plain, StepCase } from '../../src/pipeline/step.js';
import { decodeStep } from '../../src/steps/registry.js';
import { close, expectAllClose, runs } from './arbitraries.js';
import { FC, real } from './fastCheck.js';

const tensor = (p: Plain): tf.Tensor => tf.tensor(Array.from(p.data), [...p.shape], 'float32');

/** Decode and build a case's spec as a pipeline would (every input key known; the case's labels). */
export const buildCase = (def: AnyStepDef, c: StepCase): { params: unknown; built: BuiltStep } => {
  const d = decodeStep(c.spec, 'step');
  if (either.isLeft(d)) throw new Error(formatIssues(d.left));
  expect(d.right.def).toBe(def);
  const b = def.build(d.right.params, { kinds: INPUT_KINDS, labels: c.labels, cameras: c.cameras, path: 'step', loss: 'test' }, {});
  if (either.isLeft(b)) throw new Error(`${JSON.stringify(c.spec)}: ${formatIssues(b.left)}`);
  expect(b.right.phase).toBe(def.phase);
  return { params: d.right.params, built: b.right };
};

/** Fixed, uneven weights: gradients of Σ w·out see every output element separately. */
const weights = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => 1 + 0.5 * Math.sin(i + 1));
const weighted = (out: ArrayLike<number>): number => {
  const w = weights(out.length);
  let s = 0;
  for (let i = 0; i < out.length; i++) if (Number.isFinite(out[i])) s += w[i] * out[i]; // a missing (NaN) output carries no gradient
  return s;
};

/**
 * Gradient of Σ w·f(xs) w.r.t. xs[j] by tfjs, against a float64 central difference of the
 * reference at a few coordinates, away from the reference's branch points.
 */
const checkGradient = (
  name: string,
  apply: (xs: tf.Tensor[]) => tf.Tensor,
  ref: (xs: Plain[]) => { out: Plain; kinks: Kinks },
  xs: Plain[],
  j: number,
): void => {
  const ts = xs.map(tensor);
  const [g] = tf.tidy(() =>
    tf
      .grads((x: tf.Tensor) => {
        const out = apply(ts.map((t, i) => (i === j ? x : t)));
        return out.mul(tf.tensor(Float32Array.from(weights(out.size)), out.shape, 'float32')).sum();
      })([ts[j]])
      .map((t) => t.dataSync()),
  );
  tf.dispose(ts);
  for (let i = 0; i < g.length; i++) expect(Number.isFinite(g[i]), `${name}: gradient [${i}] is ${g[i]}`).toBe(true);
  const x = xs[j];
  const scale = Math.max(1e-3, ...Array.from(x.data, Math.abs).filter(Number.isFinite)); // a missing (NaN) input has no difference to take
  const h = 1e-4 * scale;
  const at = (v: number, i: number): Plain[] =>
    xs.map((p, k) => (k !== j ? p : { shape: p.shape, data: Float64Array.from(p.data, (u, m) => (m === i ? v : u)) }));
  for (const i of [0, Math.floor(x.data.length / 2), x.data.length - 1]) {
    const x0 = x.data[i];
    if (!Number.isFinite(x0)) continue;
    const [mid, up, down] = [ref(xs), ref(at(x0 + h, i)), ref(at(x0 - h, i))];
    const nearKink = mid.kinks.some(([q, t], k) => {
      if (up.kinks[k][0] === q && down.kinks[k][0] === q) return false;
      const side = Math.sign(q - t);
      return Math.abs(q - t) < 20 * h || Math.sign(up.kinks[k][0] - up.kinks[k][1]) !== side || Math.sign(down.kinks[k][0] - down.kinks[k][1]) !== side;
    });
    if (nearKink) continue;
    const fd = (weighted(up.out.data) - weighted(down.out.data)) / (2 * h);
    if (!close(g[i], fd, 2e-2, 1e-3 * Math.max(1, Math.abs(weighted(mid.out.data)) / scale)))
      expect.fail(`${name}: d/dx[${i}] tfjs ${g[i]}, float64 central difference ${fd} (h ${h})`);
  }
};

export const describeStepSuite = (steps: readonly AnyStepDef[]): void => {
  describe('the step registry', () => {
    it('every registered step declares a reference of its own phase', () => {
      const missing = steps.filter((d) => d.reference?.phase !== d.phase).map((d) => `${d.phase}: ${d.name}`);
      expect(missing, 'steps without a plain-JS reference and generators').toEqual([]);
    });
  });

  describe.each(steps.map((d) => [`${d.phase}: ${d.name}`, d] as const))('%s against its plain-JS reference', (_label, def) => {
    const ref = def.reference;
    if (!ref) return; // reported above

    it('its generated cases decode and build', () => {
      fc.assert(
        fc.property(real(ref.cases(FC)), (c) => void buildCase(def, c)),
        runs(20),
      );
    });

    switch (ref.phase) {
      case 'compute':
        it('values equal the reference; gradients w.r.t. its prediction inputs match float64 central differences', () => {
          fc.assert(
            fc.property(real(ref.cases(FC)), (c) => {
              const { params, built } = buildCase(def, c);
              if (built.phase !== 'compute') throw new Error('not a compute');
              const xs = built.of.map((k) => c.inputs[k]);
              const expected = ref.values(params, xs, built.fitted);
              const out = tf.tidy(() => {
                const o = built.apply(xs.map(tensor));
                return { shape: o.shape, data: o.dataSync().slice() };
              });
              expect(out.shape, 'output shape').toEqual([...expected.out.shape]);
              const scale = Math.max(1, ...Array.from(expected.out.data, Math.abs));
              expectAllClose(out.data, expected.out.data, `${def.name} ${JSON.stringify(c.spec)}`, 1e-4, 1e-5 * scale);
              built.roles.forEach((role, j) => {
                if (role === 'prediction')
                  checkGradient(
                    def.name,
                    (ts) => built.apply(ts),
                    (ps) => ref.values(params, ps, built.fitted),
                    xs,
                    j,
                  );
              });
            }),
            runs(25),
          );
        });
        break;
      case 'mask':
        it('validity equals the reference exactly', () => {
          fc.assert(
            fc.property(real(ref.cases(FC)), (c) => {
              const { params, built } = buildCase(def, c);
              if (built.phase !== 'mask') throw new Error('not a mask');
              const expected = ref.weight(params, c.inputs[built.of]);
              const w = tf.tidy(() => {
                const o = built.weight(tensor(c.inputs[built.of]));
                return { shape: o.shape, data: Array.from(o.dataSync()) };
              });
              expect(w.shape).toEqual([...expected.shape]);
              expect(w.data).toEqual(Array.from(expected.data));
            }),
            runs(40),
          );
        });
        break;
      case 'transform':
        it('output equals the reference; its gradient matches float64 central differences', () => {
          fc.assert(
            fc.property(real(ref.cases(FC)), (c) => {
              const { params, built } = buildCase(def, c);
              if (built.phase !== 'transform') throw new Error('not a transform');
              const x = c.inputs[built.of];
              const expected = ref.apply(params, x, c.cameras);
              expect(built.outShape(x.shape)).toEqual([...expected.out.shape]);
              const out = tf.tidy(() => built.apply(tensor(x)).dataSync().slice());
              expectAllClose(out, expected.out.data, `${def.name} ${JSON.stringify(c.spec)}`, 1e-4, 1e-6);
              checkGradient(
                def.name,
                ([t]) => built.apply(t),
                ([p]) => ref.apply(params, p, c.cameras),
                [x],
                0,
              );
            }),
            runs(25),
          );
        });
        break;
      case 'rectify':
        it('keeps what the reference keeps of any value at every keypoint', () => {
          fc.assert(
            fc.property(real(ref.cases(FC)), fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 8 }), (c, vs) => {
              const { params, built } = buildCase(def, c);
              if (built.phase !== 'rectify') throw new Error('not a rectify');
              const eps = built.epsilon;
              const K = typeof eps === 'number' ? vs.length : eps.length;
              vs.forEach((v, i) => {
                const k = i % K;
                const kept = Math.max(v - (typeof eps === 'number' ? eps : eps[k]), 0);
                expect(
                  close(kept, ref.apply(params, v, k, K), 1e-12, 1e-12),
                  `v ${v} at keypoint ${k}: built ${kept}, reference ${ref.apply(params, v, k, K)}`,
                ).toBe(true);
              });
            }),
            runs(40),
          );
        });
        break;
      case 'reduce':
        it('reduces values and a count as the reference does', () => {
          fc.assert(
            fc.property(real(ref.cases(FC)), fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 30 }), fc.nat(), (c, vs, n) => {
              const { params, built } = buildCase(def, c);
              if (built.phase !== 'reduce') throw new Error('not a reduce');
              const count = n % (vs.length + 1);
              // what the interpreter hands a reduce: with nothing left (count 0) every value is masked to 0
              const f32 = Float32Array.from(vs, (v) => (count === 0 ? 0 : v));
              const got = tf.tidy(() => built.reduce(tf.tensor1d(f32), tf.scalar(count)).dataSync()[0]);
              const want = ref.reduce(params, f32, count);
              expect(close(got, want, 1e-5, 1e-5), `reduce ${JSON.stringify(c.spec)} of ${vs.length} values, count ${count}: ${got} vs ${want}`).toBe(true);
            }),
            runs(40),
          );
        });
        break;
    }
  });
};
