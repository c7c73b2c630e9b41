import * as tf from '@tensorflow/tfjs';
import { blockSumAxes } from '../ops/blockSum.js';
import type { Compiled } from './check.js';
import { OPERATORS } from './functions.js';
import * as ops from './tfops.js';
import type { Typed } from './typed.js';

/**
 * Axis lengths from the inputs' shapes, checked against each other and against the lengths
 * constants fix; a string names the input, the axis and both lengths when they disagree.
 */
export const bindSizes = (
  c: Compiled,
  axesOf: Readonly<Record<string, readonly string[]>>,
  shapes: Readonly<Record<string, readonly number[]>>,
  label: (name: string) => string = (name) => name,
): Record<string, number> | string => {
  const sizes: Record<string, number> = {};
  const from: Record<string, string> = {};
  for (const name of c.reads) {
    const axes = axesOf[name];
    const shape = shapes[name];
    if (shape.length !== axes.length) return `${label(name)} has shape (${shape.join(',')}), expected axes (${axes.join(', ')})`;
    for (let i = 0; i < axes.length; i++) {
      const a = axes[i];
      if (sizes[a] !== undefined && sizes[a] !== shape[i])
        return `'${a}' has ${shape[i]} entries in ${label(name)} (${shape.join(',')}) but ${sizes[a]} in ${from[a]}`;
      sizes[a] = shape[i];
      from[a] = `${label(name)} (${shape.join(',')})`;
    }
  }
  for (const r of c.sizes) {
    const n = sizes[r.axis];
    if (n === undefined) continue;
    if (r.atLeast ? n < r.size : n !== r.size)
      return `${r.from} needs ${r.atLeast ? 'at least ' : ''}${r.size} entries along '${r.axis}', but ${from[r.axis]} has ${n}`;
  }
  return sizes;
};

/** Reshape a node's tensor to the rank of `to`, with 1s at the axes it lacks (axes share one order). */
const lift = (x: tf.Tensor, from: Typed, to: Typed): tf.Tensor => {
  // scalars broadcast as they are: tfjs' kernels have fast scalar paths, not size-1 ones
  if (from.axes.length === to.axes.length || from.axes.length === 0) return x;
  const shape = to.axes.map((a) => {
    const i = from.axes.findIndex((b) => b.name === a.name);
    return i < 0 ? 1 : x.shape[i];
  });
  return x.reshape(shape);
};

const structures = new WeakMap<Typed, string>();
/** A node's structure as a string: equal strings compute equal values (definitions are looked through). */
const structureOf = (n: Typed): string => {
  let k = structures.get(n);
  if (k === undefined) {
    const axes = n.axes.map((a) => `${a.name}${a.size ?? ''}`).join(',');
    switch (n.op) {
      case 'const':
        k = `c[${axes}:${n.type}:${Array.from(n.data).join(',')}]`;
        break;
      case 'input':
        k = `i:${n.name}`;
        break;
      case 'def':
        k = structureOf(n.body);
        break;
      case 'size':
      case 'index':
        k = `${n.op}:${n.axis}`;
        break;
      case 'apply':
        k = `${n.fn.name}(${n.args.map(structureOf).join(';')})`;
        break;
      case 'reduce':
        k = `r:${n.fn}(${structureOf(n.arg)};${n.over.join(',')})`;
        break;
      case 'topk':
        k = `topk(${structureOf(n.arg)};${n.axis};${n.k})`;
        break;
      case 'take':
        k = `take(${structureOf(n.arg)};${n.axis};${n.index.join(',')})`;
        break;
    }
    structures.set(n, k);
  }
  return k;
};

/**
 * The differentiable tfjs evaluator. `inputs` hold tensors shaped as their axes; `sizes`
 * comes from `bindSizes`. Definitions used twice are computed once.
 */
export const evalTf = (
  c: Compiled,
  inputs: Readonly<Record<string, tf.Tensor>>,
  sizes: Readonly<Record<string, number>>,
  /** Inputs no gradient is asked for (targets, weights): values depending only on them get none computed. */
  constantInputs: ReadonlySet<string> = new Set(),
): tf.Tensor => {
  const memo = new Map<string, tf.Tensor>();
  const constant = new Map<Typed, boolean>();
  const isConstant = (n: Typed): boolean => {
    let v = constant.get(n);
    if (v === undefined) {
      v =
        n.op === 'input'
          ? constantInputs.has(n.name)
          : n.op === 'def'
            ? isConstant(n.body)
            : n.op === 'apply'
              ? n.args.every(isConstant)
              : n.op === 'reduce' || n.op === 'topk' || n.op === 'take'
                ? isConstant(n.arg)
                : true;
      constant.set(n, v);
    }
    return v;
  };
  const go = (n: Typed): tf.Tensor => {
    // identical subexpressions (by structure, e.g. (θ/ε)^e in two definitions) are computed once
    const key = structureOf(n);
    const hit = memo.get(key);
    if (hit) return hit;
    // a fresh tensor, so that the mark stays with this evaluation (an input: a view of it)
    const v = isConstant(n) ? ops.markConstant(n.op === 'input' ? inputs[n.name].reshape(inputs[n.name].shape) : compute(n)) : compute(n);
    memo.set(key, v);
    return v;
  };
  const axisOf = (n: Typed, name: string) => n.axes.findIndex((a) => a.name === name);
  const compute = (n: Typed): tf.Tensor => {
    switch (n.op) {
      case 'const':
        return n.type === 'bool'
          ? tf.tensor(
              Array.from(n.data, (v) => v !== 0),
              n.axes.map((a) => a.size!),
              'bool',
            )
          : tf.tensor(
              Float32Array.from(n.data),
              n.axes.map((a) => a.size!),
              'float32',
            );
      case 'input':
        return inputs[n.name];
      case 'def':
        return go(n.body);
      case 'size':
        return tf.scalar(sizes[n.axis]);
      case 'index':
        return tf.range(0, sizes[n.axis]);
      case 'apply':
        // x ^ 2 as a product: one fast kernel instead of pow (same value and gradient)
        if (n.fn === OPERATORS['^'] && n.args[1].op === 'const' && n.args[1].axes.length === 0 && n.args[1].data[0] === 2)
          return ops.mul(go(n.args[0]), go(n.args[0]));
        return n.fn.tf(...n.args.map((a) => (isConstant(a) ? ops.markConstant(lift(go(a), a, n)) : lift(go(a), a, n))));
      case 'reduce': {
        const x = go(n.arg);
        const axes = n.over.map((a) => axisOf(n.arg, a));
        switch (n.fn) {
          case 'sum':
            return blockSumAxes(x, axes);
          case 'mean':
            return blockSumAxes(x, axes).div(axes.reduce((c, a) => c * x.shape[a < 0 ? x.rank + a : a], 1));
          case 'max':
            return ops.reduceMax(x, axes);
          case 'min':
            return ops.reduceMin(x, axes);
          case 'norm':
            return ops.norm(x, axes);
          case 'any':
            return x.any(axes);
          case 'all':
            return x.all(axes);
        }
        throw new Error('unreachable');
      }
      case 'topk':
        return ops.topkMean(go(n.arg), axisOf(n.arg, n.axis), n.k);
      case 'take':
        return ops.take(go(n.arg), axisOf(n.arg, n.axis), n.index);
    }
  };
  return go(c.value);
};
