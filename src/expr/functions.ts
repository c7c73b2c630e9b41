import * as tf from '@tensorflow/tfjs';
import * as ops from './tfops.js';

export type ValueType = 'num' | 'bool';

/**
 * An elementwise function or operator: its argument and result types, a plain-JS float64
 * definition (the reference, and what constants are folded with) and a differentiable tfjs
 * one. Arguments reach `tf` broadcast to a common rank.
 */
export interface Elementwise {
  readonly name: string;
  readonly args: readonly ValueType[];
  readonly result: ValueType;
  readonly doc: string;
  readonly js: (...xs: number[]) => number;
  readonly tf: (...xs: tf.Tensor[]) => tf.Tensor;
}

const num = (name: string, arity: number, doc: string, js: Elementwise['js'], f: Elementwise['tf']): Elementwise => ({
  name,
  args: Array(arity).fill('num'),
  result: 'num',
  doc,
  js,
  tf: f,
});
const cmp = (name: string, js: (a: number, b: number) => boolean, f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Elementwise => ({
  name,
  args: ['num', 'num'],
  result: 'bool',
  doc: `a ${name} b`,
  js: (a, b) => (js(a, b) ? 1 : 0),
  tf: f,
});

/** Binary operators, by their symbol. */
export const OPERATORS: Readonly<Record<string, Elementwise>> = {
  '+': num(
    '+',
    2,
    'a + b',
    (a, b) => a + b,
    (a, b) => a.add(b),
  ),
  '-': num(
    '-',
    2,
    'a − b',
    (a, b) => a - b,
    (a, b) => a.sub(b),
  ),
  '*': num('*', 2, 'a · b', (a, b) => a * b, ops.mul),
  '/': num('/', 2, 'a / b', (a, b) => a / b, ops.div),
  '^': num('^', 2, 'a to the power b (also `**`); d/da taken as 0 at a = 0 when b < 1, as for √', (a, b) => a ** b, ops.pow),
  '<': cmp(
    '<',
    (a, b) => a < b,
    (a, b) => a.less(b),
  ),
  '<=': cmp(
    '<=',
    (a, b) => a <= b,
    (a, b) => a.lessEqual(b),
  ),
  '>': cmp(
    '>',
    (a, b) => a > b,
    (a, b) => a.greater(b),
  ),
  '>=': cmp(
    '>=',
    (a, b) => a >= b,
    (a, b) => a.greaterEqual(b),
  ),
  '==': cmp(
    '==',
    (a, b) => a === b,
    (a, b) => a.equal(b),
  ),
  '!=': cmp(
    '!=',
    (a, b) => a !== b,
    (a, b) => a.notEqual(b),
  ),
};

export const NEGATE: Elementwise = num(
  'neg',
  1,
  '−a',
  (a) => -a,
  (a) => a.neg(),
);

/** Elementwise functions, by name. */
export const FUNCTIONS: Readonly<Record<string, Elementwise>> = Object.fromEntries(
  [
    num('abs', 1, '|x|; derivative sign(x), 0 at 0', Math.abs, ops.abs),
    num('sign', 1, '−1, 0 or 1 (NaN stays NaN); derivative 0', Math.sign, (x) => tf.where(x.isNaN(), x, x.sign())),
    num('sqrt', 1, '√x; derivative 0 at 0 (not ∞)', Math.sqrt, ops.sqrt),
    num('square', 1, 'x²', (x) => x * x, ops.square),
    num('exp', 1, 'eˣ', Math.exp, ops.exp),
    num('log', 1, 'natural logarithm', Math.log, ops.log),
    num('log1p', 1, 'ln(1 + x), exact near 0', Math.log1p, ops.log1p),
    num('pow', 2, 'x to the power y (as x ^ y)', Math.pow, ops.pow),
    num(
      'relu',
      1,
      'max(x, 0)',
      (x) => (x > 0 ? x : x === 0 || x < 0 ? 0 : x),
      (x) => x.relu(),
    ),
    num(
      'min',
      2,
      'smaller of a and b (with axes instead of b: the minimum over those axes)',
      (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
      ops.minimum,
    ),
    num(
      'max',
      2,
      'larger of a and b (with axes instead of b: the maximum over those axes)',
      (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
      ops.maximum,
    ),
    {
      name: 'where',
      args: ['bool', 'num', 'num'],
      result: 'num',
      doc: 'a where c holds, else b; the branch not taken gets a zero (never NaN) gradient',
      js: (c, a, b) => (c ? a : b),
      tf: (c, a, b) => {
        const shape = tf.broadcast_util.assertAndGetBroadcastShape(tf.broadcast_util.assertAndGetBroadcastShape(c.shape, a.shape), b.shape);
        return tf.where(tf.broadcastTo(c, shape), tf.broadcastTo(a, shape), tf.broadcastTo(b, shape));
      },
    } satisfies Elementwise,
    {
      name: 'and',
      args: ['bool', 'bool'],
      result: 'bool',
      doc: 'both hold',
      js: (a, b) => (a && b ? 1 : 0),
      tf: (a, b) => tf.logicalAnd(a, b),
    } satisfies Elementwise,
    {
      name: 'or',
      args: ['bool', 'bool'],
      result: 'bool',
      doc: 'either holds',
      js: (a, b) => (a || b ? 1 : 0),
      tf: (a, b) => tf.logicalOr(a, b),
    } satisfies Elementwise,
    { name: 'not', args: ['bool'], result: 'bool', doc: 'does not hold', js: (a) => (a ? 0 : 1), tf: (a) => tf.logicalNot(a) } satisfies Elementwise,
    {
      name: 'isnan',
      args: ['num'],
      result: 'bool',
      doc: 'x is NaN (a missing label)',
      js: (a) => (Number.isNaN(a) ? 1 : 0),
      tf: (a) => a.isNaN(),
    } satisfies Elementwise,
  ].map((f) => [f.name, f]),
);

/**
 * Functions over named axes. `sum`, `mean`, `max`, `min`, `norm`, `any`, `all` take a value and
 * the axes to reduce (none: all of them); `topk_mean(x, axis, k)` averages the k largest values
 * along one axis; `take(x, axis, [i, ...])` picks entries along an axis; `size(axis)` is the
 * axis' length and `index(axis)` the positions 0, 1, … along it; `wmean(x, w, axis, ...)` divides
 * by the weights' sum instead of the element count.
 */
export const REDUCTIONS = ['sum', 'mean', 'max', 'min', 'norm', 'any', 'all'] as const;
export type Reduction = (typeof REDUCTIONS)[number];
export const STRUCTURAL = ['wmean', 'topk_mean', 'take', 'size', 'index'] as const;

export const REDUCTION_DOCS: Record<Reduction | (typeof STRUCTURAL)[number], string> = {
  sum: 'sum(x, axis, ...): sum over the axes (all when none are named)',
  mean: 'mean(x, axis, ...): mean over the axes, dividing by their sizes',
  max: 'max(x, axis, ...): maximum over the axes',
  min: 'min(x, axis, ...): minimum over the axes',
  norm: 'norm(x, axis, ...): Euclidean norm over the axes; gradient 0 where the norm is 0',
  any: 'any(c, axis, ...): some element holds',
  all: 'all(c, axis, ...): every element holds',
  wmean:
    'wmean(x, w, axis, ...): Σ w·x / Σ w over the axes (w broadcast to x): the mean over valid (w = 1) or softly weighted elements; 0, with zero gradient, where Σ w = 0',
  topk_mean: 'topk_mean(x, axis, k): mean of the k largest values along the axis; only those get a gradient',
  take: 'take(x, axis, [i0, i1, ...]): entries i0, i1, ... along the axis (e.g. parents of joints)',
  size: 'size(axis): the number of entries along the axis',
  index: 'index(axis): 0, 1, 2, ... along the axis',
};

export const ALL_FUNCTION_NAMES: readonly string[] = [...new Set([...Object.keys(FUNCTIONS), ...REDUCTIONS, ...STRUCTURAL])];
