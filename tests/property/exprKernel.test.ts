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
import { bindSizes, compileExpr, evalJs, evalTf } from '../../src/expr/index.js';
import { CH, evalExprFused, exprKernel, exprRegion } from '../../src/kernels/expr.js';
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
    B: fc.integer({ min: 2, max: 180 }),
    K: fc.integer({ min: 3, max: 7 }),
  })
  .chain((c) => fc.record({ c: fc.constant(c), x: values(c.B * c.K), y: values(c.K), z: values(c.B) }));

/**
 * Whether `ranked`'s k-th and (k+1)-th largest values along the batch are equal up to float32
 * rounding (float64 reference values). There the top-k's gradient jumps: the fused and tfjs
 * paths sum in different orders, so values tied in one can differ by an ulp in the other, and
 * each path rightly sends the gradient to its own largest (ties: the lowest index, as tf.topk).
 */
const nearTie = (
  ranked: string,
  inputs: Record<string, readonly string[]>,
  data: Record<string, { values: number[]; shape: number[] }>,
  k: number,
): boolean => {
  const c = compileExpr({ defs: [], value: ranked }, { axes: AXES, inputs });
  if (either.isLeft(c)) return false;
  const sizes = bindSizes(c.right, inputs, Object.fromEntries(Object.entries(data).map(([n, d]) => [n, d.shape])));
  if (typeof sizes === 'string') return false;
  const v = Array.from(
    evalJs(c.right.value, {
      inputs: Object.fromEntries(Object.entries(data).map(([n, d]) => [n, { data: Float64Array.from(d.values), shape: d.shape }])),
      sizes,
    }).data,
  ).sort((a, b) => b - a);
  return v.length > k && Math.abs(v[k - 1] - v[k]) <= 1e-5 * Math.max(1, Math.abs(v[0]));
};

/**
 * Run `value` (x the prediction, every other input a target) fused and on evalTf; expect the
 * same loss and d loss / dx (the gradient not compared at a near-tie of `ranked`, a top-k's
 * argument: see nearTie). 'unfused' when the kernel takes no part of it, 'invalid' when it
 * does not compile or bind; 'tie' at such a tie; else the kernel's form.
 */
const agrees = (
  value: string,
  inputs: Record<string, readonly string[]>,
  data: Record<string, { values: number[]; shape: number[] }>,
  mean: boolean,
  ranked?: { value: string; k: number },
): 'invalid' | 'unfused' | 'tie' | 'program' | 'squared difference' => {
  const compiled = compileExpr({ defs: [], value }, { axes: AXES, inputs });
  if (either.isLeft(compiled)) return 'invalid'; // e.g. top-k over fewer entries than it needs
  const c = compiled.right;
  const region = exprRegion(c, (n) => n === 'x', mean);
  if (!region) return 'unfused';
  const sizes = bindSizes(c, inputs, Object.fromEntries(Object.entries(data).map(([n, d]) => [n, d.shape])));
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
  if (ranked && nearTie(ranked.value, inputs, data, ranked.k)) return 'tie';
  if (Number.isFinite(b.v)) {
    const scale = Math.max(1e-6, ...b.g.filter(Number.isFinite).map(Math.abs));
    a.g.forEach((v, j) => expect(close(v, b.g[j], scale), `${value}: d/dx[${j}] fused ${v} vs tfjs ${b.g[j]}`).toBe(true));
  }
  return exprKernel(region, sizes).form;
};

describe('expr kernel equals the tfjs-ops evaluator (random expressions)', () => {
  it('values and gradients w.r.t. the prediction', () => {
    expect(memoryKernelsAvailable()).toBe(true);
    // the largest cases span several chunks
    expect(180 * 7).toBeGreaterThan(2 * CH);
    const seen = { invalid: 0, unfused: 0, tie: 0, program: 0, 'squared difference': 0 };
    fc.assert(
      fc.property(cases, ({ c: { src, wrap, mean, B, K }, x, y, z }) => {
        const v = `x * 0.5 + (${src})`;
        const value = wrap.replace('v', v);
        const ranked = wrap.startsWith('topk_mean') ? { value: `mean(${v}, keypoints) * z`, k: 1 } : undefined;
        seen[agrees(value, INPUTS, { x: { values: x, shape: [B, K] }, y: { values: y, shape: [K] }, z: { values: z, shape: [B] } }, mean, ranked)]++;
      }),
      { numRuns: 400 },
    );
    // the wrapper keeps x in every expression: most of them must reach the kernel; near-ties are rare
    expect(seen.program).toBeGreaterThan((400 - seen.invalid) / 4);
    expect(seen.tie).toBeLessThan(20);
  });

  it('a where whose condition holds in every element of a chunk, in none, or in some (the kernel evaluates only the branches a chunk takes)', () => {
    // z < cut with z = 0, 1, 2, … along the batch: chunks (CH elements) before the cut take one branch, after it the
    // other; one branch is a random expression, the other often NaN or infinite (its value or
    // its derivative) where it is not taken, which must not reach the gradient
    const where = fc
      .record({
        a: validExpr(3),
        b: fc.constantFrom('log(x - 1)', 'sqrt(x) * abs(log(x))', 'x / (x - x)', 'square(exp(x * 100))', 'abs(log(-x)) * x', 'x ^ 0.5 + x'),
        swap: fc.boolean(),
        wrap: fc.constantFrom('v', 'sum(v, keypoints)', 'topk_mean(mean(v, keypoints), batch, 1)'),
        mean: fc.boolean(),
        B: fc.integer({ min: 2, max: 300 }),
        K: fc.integer({ min: 3, max: 9 }),
        cut: fc.integer({ min: 0, max: 300 }),
      })
      .chain((c) => fc.record({ c: fc.constant(c), x: values(c.B * c.K), y: values(c.K) }));
    const seen = { invalid: 0, unfused: 0, tie: 0, program: 0, 'squared difference': 0 };
    fc.assert(
      fc.property(where, ({ c: { a, b, swap, wrap, mean, B, K, cut }, x, y }) => {
        const z = Array.from({ length: B }, (_, i) => i);
        const [p, q] = swap ? [b, `x * 0.5 + (${a})`] : [`x * 0.5 + (${a})`, b];
        const v = `where(z < ${cut}, ${p}, ${q})`;
        const value = wrap.replace('v', v);
        const ranked = wrap.startsWith('topk_mean') ? { value: `mean(${v}, keypoints)`, k: 1 } : undefined;
        seen[agrees(value, INPUTS, { x: { values: x, shape: [B, K] }, y: { values: y, shape: [K] }, z: { values: z, shape: [B] } }, mean, ranked)]++;
      }),
      { numRuns: 200 },
    );
    expect(seen.program).toBeGreaterThan((200 - seen.invalid) / 4);
  });
});

describe('expr kernel: top-k at ties (pinned: random seeds found the fused and tfjs paths choosing different rows)', () => {
  // topk_mean(mean(x·0.5 + x, keypoints) · z, batch, 1), summed: d/dx is 1.5·z/K on the chosen row
  const value = 'topk_mean(mean(x * 0.5 + (x), keypoints) * z, batch, 1)';
  const gradients = (x: number[], z: number[], K: number) => {
    const c = compileExpr({ defs: [], value }, { axes: AXES, inputs: INPUTS });
    if (either.isLeft(c)) throw new Error(JSON.stringify(c.left));
    const region = exprRegion(c.right, (n) => n === 'x', false)!;
    const shapes = { x: [z.length, K], y: [K], z: [z.length] };
    const sizes = bindSizes(c.right, INPUTS, shapes) as Record<string, number>;
    const run = (fused: boolean) =>
      tf.tidy(() => {
        const ts = { x: tf.tensor(x, shapes.x), y: tf.zeros([K]), z: tf.tensor(z, shapes.z) };
        const f = (xv: tf.Tensor) => {
          const ins = { ...ts, x: xv };
          return fused
            ? evalExprFused(c.right, region, ins, INPUTS, new Set(['y', 'z']), reduceSum)
            : (reduceSum(evalTf(c.right, ins, sizes, new Set(['y', 'z']))) as tf.Scalar);
        };
        return { v: f(ts.x).dataSync()[0], g: Array.from(tf.grad(f)(ts.x).dataSync()) };
      });
    return { fused: run(true), tfjs: run(false) };
  };
  /** The rows a gradient reaches. */
  const rows = (g: number[], K: number) => [...new Set(g.flatMap((v, i) => (v !== 0 ? [Math.floor(i / K)] : [])))];

  it("rows tied only up to rounding: each path picks a row that is largest in its own float32 sums, with that row's exact gradient", () => {
    // rows 0 and 1 both sum to exactly 0; float32 summation order leaves the tfjs path's row 0 an ulp below 0
    const [x, z, K] = [[-3, -0.1, 3, 0.1, 0.1, -0.1, -3, 3].map(Math.fround), [0.1, 3].map(Math.fround), 4];
    const { fused, tfjs } = gradients(x, z, K);
    expect(close(fused.v, tfjs.v, 1)).toBe(true);
    for (const { g } of [fused, tfjs]) {
      const chosen = rows(g, K);
      expect(chosen).toHaveLength(1);
      const r = chosen[0];
      // the float64 values of both rows are 0: either is a largest, up to rounding
      g.slice(r * K, r * K + K).forEach((v) => expect(v).toBeCloseTo((1.5 * z[r]) / K, 6));
    }
    // the kernel's sums are exact here, so its rows tie and the lowest index wins (tf.topk's rule)
    expect(rows(fused.g, K)).toEqual([0]);
  });

  it('rows tied exactly (the same values in the same order): both paths give the gradient to the lowest index, as tf.topk', () => {
    const row = [0.1, 3, 1.7, 0.2, -0.1].map(Math.fround);
    const [x, z, K] = [[...row.map((v) => v / 2), ...row, ...row, ...row], [1, 1, 1, 1], 5];
    const { fused, tfjs } = gradients(x, z, K);
    expect(rows(fused.g, K)).toEqual([1]);
    expect(rows(tfjs.g, K)).toEqual([1]);
    fused.g.forEach((v, j) => expect(v).toBe(tfjs.g[j]));
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
    const seen = { invalid: 0, unfused: 0, tie: 0, program: 0, 'squared difference': 0 };
    fc.assert(
      fc.property(squaredCases, ({ c: { wa, wb, wc, sides, wrap, mean, B, K }, x, t, y, z }) => {
        const [a, b] = sides[0] ? [scaled('x', wa, sides[1]), scaled('t', wb, sides[2])] : [scaled('t', wb, sides[2]), scaled('x', wa, sides[1])];
        const v = scaled(`(${a} - ${b}) ^ 2`, wc, sides[3]);
        const value = wrap.replace('v', v);
        const shapes = { x: [B, K], t: [B, K], y: [K], z: [B] };
        const ranked = wrap.startsWith('topk_mean') ? { value: `mean(${v}, keypoints)`, k: 2 } : undefined;
        seen[
          agrees(
            value,
            SQ_INPUTS,
            Object.fromEntries(Object.entries({ x, t, y, z }).map(([n, v]) => [n, { values: v, shape: shapes[n as keyof typeof shapes] }])),
            mean,
            ranked,
          )
        ]++;
      }),
      { numRuns: 150 },
    );
    // every case has the form (a near-tie is compared without its gradient)
    expect(seen['squared difference'] + seen.tie).toBe(150);
    expect(seen.tie).toBeLessThan(10);
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
