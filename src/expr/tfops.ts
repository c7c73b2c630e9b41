import * as tf from '@tensorflow/tfjs';
import '../ops/zeroGradients.js';
import { blockSumAxes } from '../ops/blockSum.js';

/**
 * Differentiable building blocks whose gradients never turn a zero cotangent into NaN.
 * `where(c, a, b)` sends a zero cotangent to the branch it did not take; if that branch
 * holds `log(0)` or `1/0`, autodiff's `0 · ∞` would be NaN. Every op here whose derivative
 * can be infinite clips it to ±(largest float32) first, so a zero cotangent passes on as 0.
 */
/** tf.customGrad with typed arguments (its declared signature mixes tensors and the save function). */
const custom = <A extends tf.Tensor[]>(
  f: (...args: [...A, tf.GradSaveFunc]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] },
) => tf.customGrad(f as never) as unknown as (...args: A) => tf.Tensor;

const flow = (dy: tf.Tensor, d: tf.Tensor): tf.Tensor => dy.mul(d.clipByValue(-F32_MAX, F32_MAX));
/** An infinite derivative is clipped to the largest float32: times a zero cotangent it gives 0, not NaN (two fast kernels, not a select). */
const F32_MAX = 3.4028234663852886e38;

/** Sum a gradient back to an operand's (same-rank, size-1-broadcast) shape. */
export const unbroadcast = (g: tf.Tensor, shape: readonly number[]): tf.Tensor => {
  if (shape.length === 0) return g.sum();
  const axes = shape.flatMap((s, i) => (s === 1 && g.shape[i] !== 1 ? [i] : []));
  return axes.length ? g.sum(axes, true) : g;
};

/**
 * Tensors made in one evaluation that depend on no differentiated input (targets, weights,
 * constants): an op computes no gradient for them. Only tensors created during that
 * evaluation are marked (an input is marked through a fresh view of it), so a caller's
 * tensor is never mistaken for a constant elsewhere; entries vanish with their tensors.
 */
const constants = new WeakSet<tf.Tensor>();
export const markConstant = (x: tf.Tensor): tf.Tensor => (constants.add(x), x);
const isConstant = (x: tf.Tensor): boolean => constants.has(x);

const unary =
  (f: (x: tf.Tensor) => tf.Tensor, d: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) =>
  (x: tf.Tensor): tf.Tensor =>
    isConstant(x)
      ? f(x)
      : custom<[tf.Tensor]>((x, save) => {
          const y = f(x);
          save([x, y]);
          return { value: y, gradFunc: (dy: tf.Tensor, [x, y]: tf.Tensor[]) => flow(dy, d(x, y)) };
        })(x);

type Partial = (a: tf.Tensor, b: tf.Tensor, y: tf.Tensor) => tf.Tensor;

const binary =
  (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, da: Partial, db: Partial) =>
  (a: tf.Tensor, b: tf.Tensor): tf.Tensor => {
    const [ca, cb] = [isConstant(a), isConstant(b)];
    if (ca && cb) return f(a, b);
    // one side constant: only the other side's gradient is computed
    if (ca || cb) {
      const [x, c] = ca ? [b, a] : [a, b];
      const d = ca ? db : da;
      const ab = (x: tf.Tensor, c: tf.Tensor): [tf.Tensor, tf.Tensor] => (ca ? [c, x] : [x, c]);
      // the constant is saved too: the caller's scope disposes it before the backward pass
      return custom<[tf.Tensor]>((x, save) => {
        const y = f(...ab(x, c));
        save([x, y, c]);
        return { value: y, gradFunc: (dy: tf.Tensor, [x, y, c]: tf.Tensor[]) => unbroadcast(flow(dy, d(...ab(x, c), y)), x.shape) };
      })(x);
    }
    return custom<[tf.Tensor, tf.Tensor]>((a, b, save) => {
      const y = f(a, b);
      save([a, b, y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, [a, b, y]: tf.Tensor[]) => [unbroadcast(flow(dy, da(a, b, y)), a.shape), unbroadcast(flow(dy, db(a, b, y)), b.shape)],
      };
    })(a, b);
  };

const positive = (x: tf.Tensor) => x.greater(0);

export const mul = binary(
  (a, b) => a.mul(b),
  (_a, b) => b,
  (a) => a,
);
export const div = binary(
  (a, b) => a.div(b),
  (_a, b) => tf.scalar(1).div(b),
  (_a, b, y) => y.div(b).neg(),
);
export const pow = binary(
  (a, b) => tf.pow(a, b),
  // d/da a^0 = 0 (torch's convention), and at a = 0 with b < 1, where it would be ∞, 0 as for √
  (a, b) => tf.where(b.equal(0).logicalOr(a.equal(0).logicalAnd(b.less(1))), tf.zerosLike(a.add(b)), b.mul(tf.pow(a, b.sub(1)))),
  // d/db a^b = a^b·ln a; taken as 0 where a ≤ 0 (there only integer exponents are defined)
  (a, _b, y) => tf.where(positive(a), y.mul(tf.where(positive(a), a, tf.onesLike(a)).log()), tf.zerosLike(y)),
);
/** |x| as x·sign(x): derivative sign(x), 0 at 0 (torch's convention), not tfjs's −1. */
export const abs = (x: tf.Tensor): tf.Tensor => x.mul(x.sign());
/** x² with derivative 2x (clipped: a zero cotangent gives 0 at ±∞). */
export const square = unary(
  (x) => x.square(),
  (x) => x.mul(2),
);
/** √x with derivative 0 at x = 0 (as a norm's subgradient), never ∞. */
export const sqrt = unary(
  (x) => x.sqrt(),
  (_x, y) => tf.where(positive(y), tf.scalar(0.5).div(tf.where(positive(y), y, tf.onesLike(y))), tf.zerosLike(y)),
);
export const log = unary(
  (x) => x.log(),
  (x) => tf.scalar(1).div(x),
);
export const log1p = unary(
  (x) => x.log1p(),
  (x) => tf.scalar(1).div(x.add(1)),
);
export const exp = unary(
  (x) => x.exp(),
  (_x, y) => y,
);

/** Elementwise max/min: the gradient goes to the larger (smaller) argument, to `a` on ties; summed back over broadcast axes. */
/** NaN where either argument is NaN (as torch.maximum), else f(a, b). */
const nanPropagating = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) => {
  const m = f(a, b);
  return tf.where(a.isNaN().logicalOr(b.isNaN()), tf.fill(m.shape, NaN), m);
};

export const maximum = binary(
  nanPropagating(tf.maximum),
  (a, b) => a.greaterEqual(b).cast('float32'),
  (a, b) => a.less(b).cast('float32'),
);
export const minimum = binary(
  nanPropagating(tf.minimum),
  (a, b) => a.lessEqual(b).cast('float32'),
  (a, b) => a.greater(b).cast('float32'),
);

/** Move `axis` last, apply f to the (rows, n) matrix, move it back (f may change the last length). */
const alongLast = (x: tf.Tensor, axis: number, f: (m: tf.Tensor2D) => tf.Tensor): tf.Tensor => {
  const perm = x.shape.map((_, i) => i).filter((i) => i !== axis);
  perm.push(axis);
  const moved = x.transpose(perm);
  const n = x.shape[axis];
  const out = f(moved.reshape([-1, n]) as tf.Tensor2D);
  const back = out.reshape([...moved.shape.slice(0, -1), out.shape[1] as number]);
  return back.transpose(perm.map((_, i) => perm.indexOf(i)));
};

/**
 * Entries `index` along `axis`. The gradient is a product with the one-hot selection matrix
 * (tfjs' gather gradient needs a kernel the wasm backend lacks); the value is a gather, so a
 * NaN stays where it is.
 */
export const take = (x: tf.Tensor, axis: number, index: readonly number[]): tf.Tensor =>
  custom<[tf.Tensor]>((x) => ({
    value: tf.gather(x, tf.tensor1d([...index], 'int32'), axis),
    gradFunc: (dy: tf.Tensor) =>
      alongLast(dy, axis, (m) => m.matMul(tf.oneHot(tf.tensor1d([...index], 'int32'), x.shape[axis]).cast('float32') as tf.Tensor2D)),
  }))(x);

/** Mean of the k largest values along `axis` (kept dims removed); only the selected elements get a gradient. */
export const topkMean = (x: tf.Tensor, axis: number, k: number): tf.Tensor =>
  custom<[tf.Tensor]>((x, save) => {
    const perm = x.shape.map((_, i) => i).filter((i) => i !== axis);
    perm.push(axis);
    const moved = x.transpose(perm);
    const n = x.shape[axis];
    const { values, indices } = tf.topk(moved, k);
    const maskMoved = tf.oneHot(indices, n).sum(-2).cast('float32');
    const inverse = perm.map((_, i) => perm.indexOf(i));
    const mask = maskMoved.transpose(inverse);
    save([mask]);
    // a NaN anywhere along the axis makes the ranking, and so the mean, undefined
    const nan = x.isNaN().any(axis);
    return {
      value: tf.where(nan, tf.fill(nan.shape, NaN), values.mean(-1)),
      gradFunc: (dy: tf.Tensor, [mask]: tf.Tensor[]) => dy.expandDims(axis).mul(mask).div(k),
    };
  })(x);

/** Maximum (minimum) over axes; tied elements share the gradient equally (as torch.amax), so it sums to the cotangent. */
const extreme =
  (f: (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor) =>
  (x: tf.Tensor, axes: number[]): tf.Tensor =>
    custom<[tf.Tensor]>((x, save) => {
      const m = f(x, axes, true);
      const hit = x.equal(m).cast('float32');
      const share = hit.div(hit.sum(axes, true));
      save([share]);
      return { value: m.reshape(x.shape.filter((_, i) => !axes.includes(i))), gradFunc: (dy, [share]) => dy.reshape(m.shape).mul(share) };
    })(x);
export const reduceMax = extreme((x, axes, keep) => x.max(axes, keep));
export const reduceMin = extreme((x, axes, keep) => x.min(axes, keep));

/** Euclidean norm over axes, gradient 0 where the norm is 0. */
export const norm = (x: tf.Tensor, axes: number[]): tf.Tensor => sqrt(blockSumAxes(x.square(), axes));
