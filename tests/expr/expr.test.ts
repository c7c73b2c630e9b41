import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { bindSizes, type Compiled, compileExpr, type ExprSource, evalJs, evalTf, type JsValue } from '../../src/expr/index.js';
import { B, brokenExpr, ENV, INPUTS, K, validExpr } from './arbitraries.js';

const shapes: Record<string, number[]> = { x: [B, K], y: [K], z: [B] };

const compile = (value: string, defs: ExprSource['defs'] = []): Compiled => {
  const c = compileExpr({ defs, value }, ENV);
  if (either.isLeft(c)) throw new Error(JSON.stringify(c.left));
  return c.right;
};

const js = (c: Compiled, ins: Record<string, Float64Array>): JsValue => {
  const sizes = bindSizes(c, INPUTS, shapes) as Record<string, number>;
  return evalJs(c.value, { inputs: Object.fromEntries(Object.entries(ins).map(([k, v]) => [k, { data: v, shape: shapes[k] }])), sizes });
};

const tfValue = (c: Compiled, ins: Record<string, Float64Array>): Float32Array => {
  const sizes = bindSizes(c, INPUTS, shapes) as Record<string, number>;
  return tf.tidy(
    () => evalTf(c, Object.fromEntries(Object.entries(ins).map(([k, v]) => [k, tf.tensor(Float32Array.from(v), shapes[k])])), sizes).dataSync() as Float32Array,
  );
};

/** d(sum of value)/d(input) on tfjs. */
const tfGrad = (c: Compiled, ins: Record<string, Float64Array>, wrt: string): Float32Array => {
  const sizes = bindSizes(c, INPUTS, shapes) as Record<string, number>;
  return tf.tidy(() => {
    const ts = Object.fromEntries(Object.entries(ins).map(([k, v]) => [k, tf.tensor(Float32Array.from(v), shapes[k])]));
    return tf
      .grad((v: tf.Tensor) => evalTf(c, { ...ts, [wrt]: v }, sizes).sum())(ts[wrt])
      .dataSync() as Float32Array;
  });
};

const sumOf = (v: JsValue) => v.data.reduce((a, b) => a + b, 0);

/**
 * Input values drawn away from 0 (so random divisions and logs stay mostly in their domains),
 * rounded to float32, and all different (a small offset per element): equal inputs make ties
 * in max, min and top-k, kinks that one-sided differences do not always see.
 */
const point = fc.record(
  Object.fromEntries(
    Object.entries(shapes).map(([k, s], a) => [
      k,
      fc
        .array(fc.tuple(fc.double({ min: 0.3, max: 2, noNaN: true }), fc.boolean()), {
          minLength: s.reduce((a, b) => a * b, 1),
          maxLength: s.reduce((a, b) => a * b, 1),
        })
        .map((xs) => Float64Array.from(xs, ([v, neg], i) => Math.fround((neg ? -1 : 1) * (v + 0.0137 * (i * 3 + a))))),
    ]),
  ) as Record<string, fc.Arbitrary<Float64Array>>,
);

/** Relative change of the float64 value under a tiny input perturbation: large means ill-conditioned here. */
const conditioned = (c: Compiled, ins: Record<string, Float64Array>, base: JsValue): boolean =>
  // several small perturbations: a comparison of two things equal in exact arithmetic
  // (x < sqrt(x)²) flips under some of them, as float32 rounding may flip it
  [1e-6, -1e-6, 1e-7, -3e-7].every((eps, j) => {
    const bumped = Object.fromEntries(Object.entries(ins).map(([k, v]) => [k, v.map((x, i) => x * (1 + eps * ((((i + j) * 7) % 5) - 2)))]));
    const b = js(c, bumped);
    return base.data.every((v, i) => Number.isFinite(v) && Math.abs(v) < 1e6 && Math.abs(b.data[i] - v) <= 1e-4 * (1 + Math.abs(v)));
  });

describe('expressions: random valid ones', () => {
  it('check, and evaluate on tfjs as the float64 reference does', () => {
    fc.assert(
      fc.property(validExpr(), point, (src, ins) => {
        const c = compile(src);
        const ref = js(c, ins);
        if (!conditioned(c, ins, ref)) return;
        const got = tfValue(c, ins);
        ref.data.forEach((v, i) => expect(Math.abs(got[i] - v), `${src} [${i}]: ${got[i]} vs ${v}`).toBeLessThanOrEqual(2e-3 * (1 + Math.abs(v))));
      }),
      { numRuns: 150 },
    );
  });

  it('differentiate: tfjs gradients match float64 central differences away from kinks', () => {
    fc.assert(
      fc.property(validExpr(3), point, fc.constantFrom('x', 'y', 'z'), (src, ins, wrt) => {
        // where an equality holds the function may switch branches at that point alone: a kink
        // that one-sided differences cannot see
        if (src.includes('==') || src.includes('!=')) return;
        const c = compile(src);
        if (!c.reads.includes(wrt)) return;
        const ref = js(c, ins);
        if (!conditioned(c, ins, ref)) return;
        const g = tfGrad(c, ins, wrt);
        ins[wrt].forEach((x0, i) => {
          const h = 1e-5 * (1 + Math.abs(x0));
          const at = (dx: number) => sumOf(js(c, { ...ins, [wrt]: ins[wrt].map((v, j) => (j === i ? x0 + dx : v)) }));
          const [lo, mid, hi] = [at(-h), at(0), at(h)];
          const left = (mid - lo) / h;
          const right = (hi - mid) / h;
          // a kink or a jump (where, abs, relu, min/max, top-k) between the samples: no derivative to compare
          if (![lo, mid, hi, left, right].every(Number.isFinite) || Math.abs(left - right) > 1e-3 * (1 + Math.abs(left))) return;
          const fd = (hi - lo) / (2 * h);
          expect(Number.isNaN(g[i]), `${src}: NaN gradient wrt ${wrt}[${i}]`).toBe(false);
          expect(Math.abs(g[i] - fd), `${src}: d/d${wrt}[${i}] = ${g[i]} vs ${fd}`).toBeLessThanOrEqual(5e-3 * (1 + Math.abs(fd)));
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('expressions: random invalid ones', () => {
  it('give an error at the mistake, never an exception', () => {
    fc.assert(
      fc.property(brokenExpr, (b) => {
        const r = compileExpr({ defs: [], value: b.source }, ENV);
        expect(either.isLeft(r), `${b.kind}: '${b.source}' was accepted`).toBe(true);
        if (either.isRight(r)) return;
        expect(r.left.length).toBeGreaterThan(0);
        for (const i of r.left) {
          expect(i.where).toBe('value');
          expect(i.message.length).toBeGreaterThan(10);
        }
        if (b.column !== undefined) expect(r.left[0].column, `${b.kind}: '${b.source}': ${r.left[0].message}`).toBe(b.column);
      }),
      { numRuns: 300 },
    );
  });
});

describe('expressions: checks with exact messages', () => {
  const issues = (value: string, defs: ExprSource['defs'] = []) => {
    const r = compileExpr({ defs, value }, ENV);
    return either.isLeft(r) ? r.left : [];
  };

  it('name the column of a syntax error', () => {
    expect(issues('where(x < 1,, 2)')).toEqual([{ where: 'value', column: 13, message: "expected a number, a name or '(', found ','" }]);
    expect(issues('x < y < z')[0]).toMatchObject({ column: 7, message: expect.stringContaining('comparisons do not chain') });
  });

  it('suggest the closest name, function and axis', () => {
    expect(issues('omgea * x', [['omega', 10]])[0].message).toBe("unknown name 'omgea' (did you mean 'omega'?)");
    expect(issues('lg(x)')[0].message).toBe("unknown function 'lg' (did you mean 'log'?)");
    expect(issues('sum(x, keypoint)')[0]).toMatchObject({ column: 8, message: expect.stringContaining("(did you mean 'keypoints'?)") });
  });

  it('fold constants computed from constants in float64, and report cycles', () => {
    const c = compile('x - C', [
      ['omega', 10],
      ['epsilon', 2],
      ['C', 'omega * (1 - log(1 + omega / epsilon))'],
    ]);
    expect(c.constants.C.data[0]).toBe(10 * (1 - Math.log(1 + 10 / 2)));
    expect(
      issues('x', [
        ['a', 'b + 1'],
        ['b', '2 * a'],
      ])[0].message,
    ).toBe("'a' is defined in terms of itself: a → b → a");
  });

  it('name both axes lists when lengths cannot broadcast', () => {
    const msg = issues('s * t', [
      ['s', { values: [1, 2, 3], axis: 'keypoints' }],
      ['t', { values: [1, 2], axis: 'keypoints' }],
    ])[0].message;
    expect(msg).toBe("cannot broadcast (keypoints=3) with (keypoints=2): 'keypoints' has 3 entries in one and 2 in the other");
  });

  it('check run-time lengths against constants', () => {
    const c = compile('x * s', [['s', { values: [1, 2], axis: 'keypoints' }]]);
    expect(bindSizes(c, INPUTS, shapes)).toBe("'x * s' needs 2 entries along 'keypoints', but x (2,3) has 3");
  });
});

describe('expressions: gradients at kinks and zeros', () => {
  const grad1 = (value: string, at: number[]) => {
    const c = compileExpr({ defs: [], value }, { axes: ENV.axes, inputs: { x: ['keypoints'] } });
    if (either.isLeft(c)) throw new Error(JSON.stringify(c.left));
    return Array.from(
      tf.tidy(() =>
        tf
          .grad((v: tf.Tensor) => evalTf(c.right, { x: v }, { keypoints: at.length }).sum())(tf.tensor1d(at))
          .dataSync(),
      ),
    );
  };
  it('abs, sqrt and norm have derivative 0 at 0', () => {
    expect(grad1('abs(x)', [0, -2, 3])).toEqual([0, -1, 1]);
    expect(grad1('sqrt(x)', [0, 4])).toEqual([0, 0.25]);
    expect(grad1('norm(x - x)', [1, 2])).toEqual([0, 0]);
  });
  it('the branch where does not take passes no NaN', () => {
    expect(grad1('where(x > 0, x * log(x), 0)', [0, 1])).toEqual([0, 1]);
    expect(grad1('where(x > 0, 1 / x, 0)', [0, 2])).toEqual([0, -0.25]);
    expect(grad1('where(x > 0, x ^ 0.5, 0)', [0, 4])).toEqual([0, 0.25]);
  });
  it('topk_mean gives a gradient only to the selected elements', () => {
    expect(grad1('topk_mean(x * x, keypoints, 2)', [1, 3, -2, 0.5])).toEqual([0, 3, -2, 0]);
  });
});

describe('expressions: wmean, the mean over the weights’ sum', () => {
  const c = compile('wmean(x, z, batch)');
  it('is Σ w·x / Σ w per remaining element (float64 reference and tfjs), 0 where the weights sum to 0', () => {
    fc.assert(
      fc.property(point, fc.constantFrom([0, 0], [0, 1], [0.5, 1]), (ins, w) => {
        const z = Float64Array.from(w);
        const want = Array.from({ length: K }, (_, k) => (w[0] + w[1] > 0 ? (w[0] * ins.x[k] + w[1] * ins.x[K + k]) / (w[0] + w[1]) : 0));
        const ref = js(c, { ...ins, z });
        ref.data.forEach((v, k) => expect(v).toBeCloseTo(want[k], 12));
        const got = tfValue(c, { ...ins, z });
        got.forEach((v, k) => expect(v).toBeCloseTo(want[k], 5));
        const g = tfGrad(c, { ...ins, z }, 'x');
        expect(g.every(Number.isFinite)).toBe(true);
        if (w[0] + w[1] === 0) expect(Array.from(g, Math.abs)).toEqual(Array(B * K).fill(0));
      }),
      { numRuns: 30 },
    );
  });
  it('counts the axes the weights lack: wmean(x, y) over (batch, keypoints) divides by B·Σ y', () => {
    const c2 = compile('wmean(x, y)');
    const ins = { x: Float64Array.from([1, 2, 3, 4, 5, 6]), y: Float64Array.from([1, 0, 3]), z: Float64Array.from([1, 1]) };
    expect(js(c2, ins).data[0]).toBeCloseTo((1 * 1 + 3 * 3 + 4 * 1 + 6 * 3) / (2 * 4), 12);
    expect(tfValue(c2, ins)[0]).toBeCloseTo((1 * 1 + 3 * 3 + 4 * 1 + 6 * 3) / (2 * 4), 5);
  });
});
