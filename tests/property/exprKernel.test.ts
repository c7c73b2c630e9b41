/**
 * The `expr` kernel against the tfjs-ops evaluator on random expressions (tests/expr's
 * generator): x (batch, keypoints) is the prediction, y (keypoints) and z (batch) targets
 * broadcast along it. Whatever part of the expression the kernel fuses (the whole value, or a
 * sum / mean over innermost axes), the loss and d loss / dx agree with evalTf's, for sizes that
 * cross the kernel's chunks and blocks. A run where too few expressions fuse fails: the test
 * must exercise the kernel.
 */

import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../src/config/issues.js';
import { readYaml } from '../../src/config/yaml.js';
import { bindSizes, compileExpr, evalTf } from '../../src/expr/index.js';
import { evalExprFused, exprKernel, exprRegion } from '../../src/kernels/expr.js';
import { memoryKernelsAvailable } from '../../src/kernels/memory.js';
import { buildPipeline } from '../../src/losses/build.js';
import type { Loss } from '../../src/pipeline/loss.js';
import type { StepSpec } from '../../src/pipeline/step.js';
import { PROJECT_ROOT } from '../../src/verify/configCase.js';
import { AXES, INPUTS, validExpr } from '../expr/arbitraries.js';

const reduceMean = (v: tf.Tensor, count: tf.Tensor) => v.sum().div(tf.maximum(count, 1));
const reduceSum = (v: tf.Tensor) => v.sum();

const close = (a: number, b: number, scale: number) =>
  a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-6 + 1e-5 * scale + 2e-4 * Math.abs(b);

/** Mostly positive values (logs, roots and powers stay in their domains, so few losses are NaN), some negative. */
const values = (n: number) =>
  fc.array(
    fc
      .oneof({ weight: 4, arbitrary: fc.double({ min: 0.1, max: 3, noNaN: true }) }, { weight: 1, arbitrary: fc.double({ min: -3, max: -0.1, noNaN: true }) })
      .map(Math.fround),
    { minLength: n, maxLength: n },
  );

/** Random expressions, wrapped so that some sum over an inner axis (the partial-reduction path) and some stay elementwise. */
const cases = fc
  .record({
    src: validExpr(4),
    wrap: fc.constantFrom('v', 'sum(v, keypoints)', 'mean(v, keypoints)', 'topk_mean(mean(v, keypoints) * z, batch, 1)'),
    mean: fc.boolean(),
    B: fc.integer({ min: 2, max: 45 }),
    K: fc.integer({ min: 3, max: 7 }),
  })
  .chain((c) => fc.record({ c: fc.constant(c), x: values(c.B * c.K), y: values(c.K), z: values(c.B) }));

/**
 * Run `value` (x the prediction, every other input a target) fused and on evalTf; expect the
 * same loss and d loss / dx. 'unfused' when the kernel takes no part of it, 'invalid' when it
 * does not compile or bind; else the kernel's form.
 */
const agrees = (
  value: string,
  inputs: Record<string, readonly string[]>,
  data: Record<string, { values: number[]; shape: number[] }>,
  mean: boolean,
): 'invalid' | 'unfused' | 'program' | 'squared difference' => {
  const compiled = compileExpr({ defs: [], value }, { axes: AXES, inputs });
  if (either.isLeft(compiled)) return 'invalid'; // e.g. top-k over fewer entries than it needs
  const c = compiled.right;
  const region = exprRegion(c, (n) => n === 'x', mean);
  if (!region) return 'unfused';
  const sizes = bindSizes(
    c,
    inputs,
    Object.fromEntries(Object.entries(data).map(([n, d]) => [n, d.shape])),
  );
  if (typeof sizes === 'string') return 'invalid';
  const reduce = mean ? reduceMean : reduceSum;
  const targets = new Set(Object.keys(data).filter((n) => n !== 'x'));
  const run = (fused: boolean) =>
    tf.tidy(() => {
      const ts = Object.fromEntries(Object.entries(data).map(([n, d]) => [n, tf.tensor(d.values, d.shape)]));
      const f = (xv: tf.Tensor) => {
        const ins = { ...ts, x: xv };
        if (fused) return evalExprFused(c, region, ins, inputs, targets, reduce);
        const v = evalTf(c, ins, sizes, targets);
        return reduce(v, tf.scalar(v.size)) as tf.Scalar;
      };
      return { v: f(ts.x).dataSync()[0], g: Array.from(tf.grad(f)(ts.x).dataSync()) };
    });
  const [a, b] = [run(true), run(false)];
  expect(close(a.v, b.v, 1), `${value}: value fused ${a.v} vs tfjs ${b.v}`).toBe(true);
  if (Number.isFinite(b.v)) {
    const scale = Math.max(1e-6, ...b.g.filter(Number.isFinite).map(Math.abs));
    a.g.forEach((v, j) => expect(close(v, b.g[j], scale), `${value}: d/dx[${j}] fused ${v} vs tfjs ${b.g[j]}`).toBe(true));
  }
  return exprKernel(region, sizes).form;
};

describe('expr kernel equals the tfjs-ops evaluator (random expressions)', () => {
  it('values and gradients w.r.t. the prediction', () => {
    expect(memoryKernelsAvailable()).toBe(true);
    const seen = { invalid: 0, unfused: 0, program: 0, 'squared difference': 0 };
    fc.assert(
      fc.property(cases, ({ c: { src, wrap, mean, B, K }, x, y, z }) => {
        const value = wrap.replace('v', `x * 0.5 + (${src})`);
        seen[agrees(value, INPUTS, { x: { values: x, shape: [B, K] }, y: { values: y, shape: [K] }, z: { values: z, shape: [B] } }, mean)]++;
      }),
      { numRuns: 400 },
    );
    // the wrapper keeps x in every expression: most of them must reach the kernel
    expect(seen.program).toBeGreaterThan((400 - seen.invalid) / 4);
  });

  it('a where whose condition holds in every element of a chunk, in none, or in some (the kernel evaluates only the branches a chunk takes)', () => {
    // z < cut with z = 0, 1, 2, … along the batch: chunks (128 elements) before the cut take one branch, after it the
    // other; one branch is a random expression, the other often NaN or infinite (its value or
    // its derivative) where it is not taken, which must not reach the gradient
    const where = fc
      .record({
        a: validExpr(3),
        b: fc.constantFrom('log(x - 1)', 'sqrt(x) * abs(log(x))', 'x / (x - x)', 'square(exp(x * 100))', 'abs(log(-x)) * x', 'x ^ 0.5 + x'),
        swap: fc.boolean(),
        wrap: fc.constantFrom('v', 'sum(v, keypoints)', 'topk_mean(mean(v, keypoints), batch, 1)'),
        mean: fc.boolean(),
        B: fc.integer({ min: 2, max: 90 }),
        K: fc.integer({ min: 3, max: 9 }),
        cut: fc.integer({ min: 0, max: 90 }),
      })
      .chain((c) => fc.record({ c: fc.constant(c), x: values(c.B * c.K), y: values(c.K) }));
    const seen = { invalid: 0, unfused: 0, program: 0, 'squared difference': 0 };
    fc.assert(
      fc.property(where, ({ c: { a, b, swap, wrap, mean, B, K, cut }, x, y }) => {
        const z = Array.from({ length: B }, (_, i) => i);
        const [p, q] = swap ? [b, `x * 0.5 + (${a})`] : [`x * 0.5 + (${a})`, b];
        const value = wrap.replace('v', `where(z < ${cut}, ${p}, ${q})`);
        seen[agrees(value, INPUTS, { x: { values: x, shape: [B, K] }, y: { values: y, shape: [K] }, z: { values: z, shape: [B] } }, mean)]++;
      }),
      { numRuns: 200 },
    );
    expect(seen.program).toBeGreaterThan((200 - seen.invalid) / 4);
  });
});

/**
 * The one-pass form ((a·wa − b·wb)^2)·wc (recognised from the program, run without the
 * interpreter): random placements of the weights (constants, broadcast targets, absent), the
 * prediction on either side, inside whole and partial reductions and a top-k, against evalTf.
 */
const SQ_INPUTS: Record<string, readonly string[]> = { ...INPUTS, t: ['batch', 'keypoints'] };
const weight = fc.constantFrom('', 'y', 'z', '0.7', '-2');
const scaled = (v: string, w: string, left: boolean) => (w === '' ? v : left ? `${w} * ${v}` : `${v} * ${w}`);
const squaredCases = fc
  .record({
    wa: weight,
    wb: weight,
    wc: weight,
    sides: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean()),
    wrap: fc.constantFrom('v', 'sum(v, keypoints)', 'mean(v, keypoints)', 'topk_mean(mean(v, keypoints), batch, 2)'),
    mean: fc.boolean(),
    B: fc.integer({ min: 2, max: 45 }),
    K: fc.integer({ min: 1, max: 9 }),
  })
  .chain((c) => fc.record({ c: fc.constant(c), x: values(c.B * c.K), t: values(c.B * c.K), y: values(c.K), z: values(c.B) }));

describe('expr kernel: the squared-difference form equals the tfjs-ops evaluator', () => {
  it('values and gradients, weights anywhere', () => {
    const seen = { invalid: 0, unfused: 0, program: 0, 'squared difference': 0 };
    fc.assert(
      fc.property(squaredCases, ({ c: { wa, wb, wc, sides, wrap, mean, B, K }, x, t, y, z }) => {
        const [a, b] = sides[0] ? [scaled('x', wa, sides[1]), scaled('t', wb, sides[2])] : [scaled('t', wb, sides[2]), scaled('x', wa, sides[1])];
        const value = wrap.replace('v', scaled(`(${a} - ${b}) ^ 2`, wc, sides[3]));
        const shapes = { x: [B, K], t: [B, K], y: [K], z: [B] };
        seen[agrees(value, SQ_INPUTS, Object.fromEntries(Object.entries({ x, t, y, z }).map(([n, v]) => [n, { values: v, shape: shapes[n as keyof typeof shapes] }])), mean)]++;
      }),
      { numRuns: 150 },
    );
    // every case has the form
    expect(seen['squared difference']).toBe(150);
  });
});

/** Which MMPose catalogue losses (examples/losses/mmpose) run on the expr kernel; the others need a step it does not fuse. */
const CATALOGUE_KERNEL: Record<string, string | null> = {
  keypoint_mse: 'expr',
  adaptive_wing: 'expr',
  ohkm_mse: 'expr', // the per-keypoint mean is fused; top-k and the batch mean run as tfjs ops
  wing: 'expr',
  soft_wing: 'expr',
  l1: 'expr',
  mse: 'expr',
  smooth_l1: 'expr',
  keypoint_mse_skip_empty: null, // any(T != 0, height, width) is not elementwise
  mpjpe: null, // norm
  oks: null, // norm inside
  bone: null, // take, norm
};

const catalogueLoss = (name: string, fused: boolean): Loss => {
  const raw = readYaml(path.join(PROJECT_ROOT, 'examples', 'losses', 'mmpose', `${name}.yaml`));
  if (either.isLeft(raw)) throw new Error(formatIssues(raw.left));
  const spec = (raw.right as { losses: Record<string, { log_weight: number; pipeline: StepSpec[] }> }).losses[name];
  const r = buildPipeline(name, spec.log_weight, spec.pipeline, { fused });
  if (either.isLeft(r)) throw new Error(formatIssues(r.left));
  return r.right;
};

describe('expr kernel on the MMPose catalogue', () => {
  it('runs where the table says, and agrees with the tfjs-ops path (values, gradients, no leaks)', () => {
    for (const [name, kernel] of Object.entries(CATALOGUE_KERNEL)) {
      const [fused, ref] = [catalogueLoss(name, true), catalogueLoss(name, false)];
      expect(fused.kernel, name).toBe(kernel);
      expect(ref.kernel, name).toBeNull();
      if (!kernel) continue;
      const heat = fused.reads.includes('heatmaps_pred');
      fc.assert(
        fc.property(
          fc.record({
            b: fc.integer({ min: 1, max: 3 }),
            k: fc.integer({ min: 4, max: 7 }),
            h: fc.integer({ min: 1, max: 19 }),
            w: fc.integer({ min: 1, max: 9 }),
            seed: fc.integer(),
          }),
          ({ b, k, h, w, seed }) => {
            let s = seed >>> 0;
            const rnd = (n: number, hi: number) => Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0), (hi * s) / 2 ** 32));
            const inputs: Record<string, tf.Tensor> = heat
              ? {
                  heatmaps_pred: tf.tensor(rnd(b * k * h * w, 1), [b, k, h, w]),
                  heatmaps_targ: tf.tensor(rnd(b * k * h * w, 1), [b, k, h, w]),
                  keypoint_weights: tf.tensor(rnd(b * k, 1), [b, k]),
                }
              : {
                  keypoints_pred: tf.tensor(rnd(b * 2 * k, 40), [b, 2 * k]),
                  keypoints_targ: tf.tensor(rnd(b * 2 * k, 40), [b, 2 * k]),
                  keypoint_weights: tf.tensor(rnd(b * k, 1), [b, k]),
                };
            const key = heat ? 'heatmaps_pred' : 'keypoints_pred';
            const run = (l: Loss) =>
              tf.tidy(() => ({
                v: l(inputs, 'train').loss.dataSync()[0],
                g: Array.from(
                  tf
                    .grad((x: tf.Tensor) => l({ ...inputs, [key]: x }, 'train').loss)(inputs[key])
                    .dataSync(),
                ),
              }));
            try {
              const before = tf.memory().numTensors;
              const [a, r] = [run(fused), run(ref)];
              expect(tf.memory().numTensors, `${name}: tensors left behind`).toBe(before);
              expect(close(a.v, r.v, 1), `${name}: ${a.v} vs ${r.v}`).toBe(true);
              const scale = Math.max(1e-6, ...r.g.map(Math.abs));
              a.g.forEach((v, j) => expect(close(v, r.g[j], scale), `${name} d/d${key}[${j}]: ${v} vs ${r.g[j]}`).toBe(true));
            } finally {
              tf.dispose(Object.values(inputs));
            }
          },
        ),
        { numRuns: 15 },
      );
    }
  });
});

describe('expr kernel: a non-finite loss has a NaN gradient in every entry, as on the tfjs-ops path', () => {
  it.each(['keypoint_mse', 'ohkm_mse'])('%s with one NaN prediction pixel', (name) => {
    const [fused, ref] = [catalogueLoss(name, true), catalogueLoss(name, false)];
    const [b, k, h, w] = [2, 5, 3, 4];
    const p = Float32Array.from({ length: b * k * h * w }, (_, i) => (i === 7 ? NaN : Math.sin(i) * 0.5 + 0.5));
    const inputs = {
      heatmaps_pred: tf.tensor(p, [b, k, h, w]),
      heatmaps_targ: tf.tensor(
        p.map((v) => v / 2 || 0.25),
        [b, k, h, w],
      ),
      keypoint_weights: tf.ones([b, k]),
    };
    try {
      for (const l of [fused, ref]) {
        const g = tf.tidy(() =>
          Array.from(
            tf
              .grad((x: tf.Tensor) => l({ ...inputs, heatmaps_pred: x }, 'train').loss)(inputs.heatmaps_pred)
              .dataSync(),
          ),
        );
        expect(g.every(Number.isNaN), `${name} (${l.kernel ?? 'tfjs ops'})`).toBe(true);
      }
    } finally {
      tf.dispose(Object.values(inputs));
    }
  });
});
