import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { suggestion } from '../config/closest.js';
import type { ExprIssue, Node } from './ast.js';
import { print } from './ast.js';
import { evalJs } from './evalJs.js';
import { ALL_FUNCTION_NAMES, type Elementwise, FUNCTIONS, NEGATE, OPERATORS, REDUCTIONS, type Reduction } from './functions.js';
import { parse } from './parse.js';
import { type Axis, axesStr, type SizeRule, type Typed } from './typed.js';

/** What an expression may refer to. */
export interface ExprEnv {
  /** Axis names in their canonical order (the input-key table's); values' axes follow it. */
  readonly axes: readonly string[];
  /** Tensors bound by name, with their axes. */
  readonly inputs: Readonly<Record<string, readonly string[]>>;
}

/** A definition: a number, numbers along an axis, or an expression over inputs and other definitions. */
export type Definition = number | { readonly values: readonly number[]; readonly axis: string } | string;

export interface ExprSource {
  readonly defs: readonly (readonly [string, Definition])[];
  readonly value: string;
}

export interface Compiled {
  readonly value: Typed;
  /** Definitions that folded to constants (float64), for `explain`. */
  readonly constants: Readonly<Record<string, { readonly data: readonly number[]; readonly axes: readonly Axis[] }>>;
  /** Definitions that depend on inputs, in evaluation order. */
  readonly defs: readonly string[];
  /** The inputs the value reads. */
  readonly reads: readonly string[];
  readonly sizes: readonly SizeRule[];
  /** The sources, as parsed and re-printed. */
  readonly printed: Readonly<Record<string, string>>;
  /** The axes of each definition and of `value`. */
  readonly axesOf: Readonly<Record<string, readonly Axis[]>>;
}

class Bad {
  constructor(
    readonly node: Node | null,
    readonly message: string,
  ) {}
}

const freeNames = (n: Node, out: Set<string>): Set<string> => {
  if (n.kind === 'name') out.add(n.name);
  else if (n.kind === 'neg') freeNames(n.arg, out);
  else if (n.kind === 'binary') freeNames(n.left, out), freeNames(n.right, out);
  else if (n.kind === 'call' || n.kind === 'list') for (const a of n.kind === 'call' ? n.args : n.items) freeNames(a, out);
  return out;
};

const isConst = (n: Typed): n is Typed & { op: 'const' } => n.op === 'const';

/**
 * Parse and check an expression with its definitions: every name resolves (unknown ones get
 * "did you mean"), types agree (numbers vs conditions), axes broadcast by name, definitions
 * have no cycles, and everything that depends only on constants is folded in float64.
 * All problems are reported, each at its definition and column.
 */
export const compileExpr = (src: ExprSource, env: ExprEnv): Either<ExprIssue[], Compiled> => {
  const issues: ExprIssue[] = [];
  const axisRank = new Map(env.axes.map((a, i) => [a, i]));
  const defSources = new Map(src.defs);
  const all: (readonly [string, Definition])[] = [...src.defs, ['value', src.value]];
  const trees = new Map<string, Node>();
  const printed: Record<string, string> = {};

  const taken = (name: string, isInput: boolean): string | null =>
    name === 'value'
      ? 'the expression itself'
      : !isInput && env.inputs[name] !== undefined
        ? 'an input'
        : axisRank.has(name)
          ? 'an axis'
          : ALL_FUNCTION_NAMES.includes(name)
            ? 'a function'
            : null;
  for (const name of Object.keys(env.inputs)) {
    const clash = taken(name, true);
    if (clash) issues.push({ where: name, message: `an input cannot be called '${name}': that is ${clash}` });
  }
  for (const [name] of src.defs) {
    const clash = taken(name, false);
    if (clash) issues.push({ where: name, message: `'${name}' is already ${clash}; choose another name` });
    else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) issues.push({ where: name, message: `'${name}' is not a name (letters, digits, _)` });
  }
  for (const [name, def] of all) {
    if (typeof def === 'string') {
      const t = parse(def);
      if (either.isLeft(t)) issues.push({ where: name, column: t.left.column, message: t.left.message });
      else trees.set(name, t.right), (printed[name] = print(t.right));
    } else if (typeof def === 'number') {
      if (!Number.isFinite(def)) issues.push({ where: name, message: `expected a finite number, got ${def}` });
    } else {
      if (!axisRank.has(def.axis)) issues.push({ where: name, message: `unknown axis '${def.axis}'${suggestion(def.axis, env.axes)}` });
      if (def.values.length === 0 || def.values.some((v) => !Number.isFinite(v)))
        issues.push({ where: name, message: `expected a non-empty list of finite numbers` });
    }
  }
  if (issues.length) return either.left(issues);

  // order definitions by dependency; report cycles
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      issues.push({ where: name, message: `'${name}' is defined in terms of itself: ${cycle.join(' → ')}` });
      return;
    }
    state.set(name, 'visiting');
    const tree = trees.get(name);
    if (tree) for (const dep of freeNames(tree, new Set())) if (defSources.has(dep) && dep !== 'value') visit(dep, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const [name] of all) visit(name, []);
  if (issues.length) return either.left(issues);

  const checked = new Map<string, Typed>();
  const sizes: SizeRule[] = [];
  const reads = new Set<string>();
  const known = [...Object.keys(env.inputs), ...src.defs.map(([n]) => n)];

  const merge = (parts: readonly Typed[], at: Node): Axis[] => {
    const byName = new Map<string, Axis>();
    for (const p of parts)
      for (const a of p.axes) {
        const prev = byName.get(a.name);
        if (prev && prev.size !== undefined && a.size !== undefined && prev.size !== a.size) {
          const other = parts.find((q) => q.axes.some((b) => b.name === a.name && b.size === prev.size))!;
          throw new Bad(
            at,
            `cannot broadcast ${axesStr(other.axes)} with ${axesStr(p.axes)}: '${a.name}' has ${prev.size} entries in one and ${a.size} in the other`,
          );
        }
        if (prev && prev.size === undefined && a.size !== undefined) sizes.push({ axis: a.name, size: a.size, from: `'${print(at)}'` });
        if (prev && prev.size !== undefined && a.size === undefined) sizes.push({ axis: a.name, size: prev.size, from: `'${print(at)}'` });
        if (!prev || a.size !== undefined) byName.set(a.name, a);
      }
    return [...byName.values()].sort((x, y) => axisRank.get(x.name)! - axisRank.get(y.name)!);
  };

  const fold = (n: Typed): Typed => {
    if (n.op === 'const' || n.op === 'input' || n.op === 'def' || n.op === 'size' || n.op === 'index') return n;
    const kids = n.op === 'apply' ? n.args : [n.arg];
    if (!kids.every(isConst)) return n;
    const v = evalJs(n, { inputs: {}, sizes: {} });
    return { op: 'const', type: n.type, axes: n.axes, data: v.data };
  };

  const scalar = (v: number): Typed => ({ op: 'const', type: 'num', axes: [], data: Float64Array.of(v) });

  const apply = (fn: Elementwise, args: Typed[], at: Node, argNodes: readonly Node[]): Typed => {
    args.forEach((a, i) => {
      if (a.type !== fn.args[i])
        throw new Bad(
          argNodes[i],
          fn.args[i] === 'num'
            ? `expected a number, found a condition ('${print(argNodes[i])}'); use where(c, a, b)`
            : `expected a condition (a comparison), found a number ('${print(argNodes[i])}')`,
        );
    });
    return fold({ op: 'apply', fn, args, type: fn.result, axes: merge(args, at) });
  };

  const axisArg = (n: Node, of: Typed, fn: string): string => {
    if (n.kind !== 'name' || !axisRank.has(n.name))
      throw new Bad(
        n,
        `${fn} expects axis names after its first argument, found '${print(n)}'${n.kind === 'name' ? suggestion(n.name, env.axes) : ` (axes: ${env.axes.join(', ')})`}`,
      );
    if (!of.axes.some((a) => a.name === n.name)) throw new Bad(n, `${fn}: the value has no axis '${n.name}'; its axes are ${axesStr(of.axes)}`);
    return n.name;
  };

  const intArg = (n: Node, what: string): number => {
    const t = go(n);
    if (t.op !== 'const' || t.axes.length || !Number.isInteger(t.data[0]) || t.data[0] < 0)
      throw new Bad(n, `${what} must be a constant non-negative integer, found '${print(n)}'`);
    return t.data[0];
  };

  const go = (n: Node): Typed => {
    switch (n.kind) {
      case 'num':
        return scalar(n.value);
      case 'list':
        throw new Bad(n, `a list of numbers is only accepted as take's index list; for values along an axis, give a definition { values: [...], axis: ... }`);
      case 'name': {
        if (env.inputs[n.name]) {
          reads.add(n.name);
          return { op: 'input', name: n.name, type: 'num', axes: env.inputs[n.name].map((name) => ({ name })) };
        }
        const def = checked.get(n.name);
        if (def) return def.op === 'const' ? def : { op: 'def', name: n.name, body: def, type: def.type, axes: def.axes };
        if (defSources.has(n.name)) throw new Bad(n, `'${n.name}' could not be checked (see its own error)`);
        if (axisRank.has(n.name)) throw new Bad(n, `'${n.name}' is an axis, not a value: use it in a reduction, e.g. sum(x, ${n.name})`);
        if (ALL_FUNCTION_NAMES.includes(n.name)) throw new Bad(n, `'${n.name}' is a function: call it, e.g. ${n.name}(x)`);
        throw new Bad(n, `unknown name '${n.name}'${suggestion(n.name, known)}`);
      }
      case 'neg':
        return apply(NEGATE, [go(n.arg)], n, [n.arg]);
      case 'binary':
        return apply(OPERATORS[n.op], [go(n.left), go(n.right)], n, [n.left, n.right]);
      case 'call':
        return call(n);
    }
  };

  const call = (n: Node & { kind: 'call' }): Typed => {
    const fnNode: Node = { kind: 'name', name: n.fn, start: n.start, end: n.fnEnd };
    const isAxis = (a: Node | undefined) => a?.kind === 'name' && axisRank.has(a.name);
    if ((REDUCTIONS as readonly string[]).includes(n.fn) && (!(n.fn in FUNCTIONS) || n.args.length === 1 || isAxis(n.args[1]))) {
      if (n.args.length === 0) throw new Bad(fnNode, `${n.fn} needs a value, e.g. ${n.fn}(x, keypoints)`);
      const x = go(n.args[0]);
      const wantBool = n.fn === 'any' || n.fn === 'all';
      if ((x.type === 'bool') !== wantBool)
        throw new Bad(n.args[0], wantBool ? `${n.fn} reduces a condition, found a number` : `${n.fn} reduces numbers, found a condition; use where(c, 1, 0)`);
      const over = n.args.length > 1 ? n.args.slice(1).map((a) => axisArg(a, x, n.fn)) : x.axes.map((a) => a.name);
      return fold({ op: 'reduce', fn: n.fn as Reduction, arg: x, over, type: x.type, axes: x.axes.filter((a) => !over.includes(a.name)) });
    }
    const fn = FUNCTIONS[n.fn];
    if (fn) {
      if (n.args.length !== fn.args.length)
        throw new Bad(fnNode, `${n.fn} takes ${fn.args.length} argument${fn.args.length === 1 ? '' : 's'}, got ${n.args.length}`);
      return apply(fn, n.args.map(go), n, n.args);
    }
    switch (n.fn) {
      case 'size':
      case 'index': {
        const a = n.args[0];
        if (n.args.length !== 1 || a.kind !== 'name' || !axisRank.has(a.name)) throw new Bad(fnNode, `${n.fn} takes one axis name (${env.axes.join(', ')})`);
        return n.fn === 'size' ? { op: 'size', axis: a.name, type: 'num', axes: [] } : { op: 'index', axis: a.name, type: 'num', axes: [{ name: a.name }] };
      }
      case 'wmean': {
        if (n.args.length < 2)
          throw new Bad(
            fnNode,
            `wmean takes a value, weights and axes: wmean(x, w, keypoints), got ${n.args.length} argument${n.args.length === 1 ? '' : 's'}`,
          );
        const [x, w] = [go(n.args[0]), go(n.args[1])];
        for (const [t, a] of [
          [x, n.args[0]],
          [w, n.args[1]],
        ] as const)
          if (t.type !== 'num') throw new Bad(a, `wmean averages numbers, found a condition`);
        const xw = apply(OPERATORS['*'], [x, w], n, n.args.slice(0, 2));
        const over = n.args.length > 2 ? n.args.slice(2).map((a) => axisArg(a, xw, 'wmean')) : xw.axes.map((a) => a.name);
        const num = fold({ op: 'reduce', fn: 'sum', arg: xw, over, type: 'num', axes: xw.axes.filter((a) => !over.includes(a.name)) });
        // Σ w over the axes as w broadcast to x: w's own axes summed, the others counted
        const own = over.filter((a) => w.axes.some((b) => b.name === a));
        let den: Typed = own.length ? fold({ op: 'reduce', fn: 'sum', arg: w, over: own, type: 'num', axes: w.axes.filter((a) => !own.includes(a.name)) }) : w;
        for (const a of over.filter((a) => !own.includes(a))) {
          const fixed = xw.axes.find((b) => b.name === a)!.size;
          den = apply(OPERATORS['*'], [den, fixed === undefined ? { op: 'size', axis: a, type: 'num', axes: [] } : scalar(fixed)], n, [n, n]);
        }
        const some = apply(OPERATORS['>'], [den, scalar(0)], n, [n, n]);
        const safe = apply(FUNCTIONS.where, [some, den, scalar(1)], n, [n, n, n]);
        return apply(FUNCTIONS.where, [some, apply(OPERATORS['/'], [num, safe], n, [n, n]), scalar(0)], n, [n, n, n]);
      }
      case 'topk_mean': {
        if (n.args.length !== 3) throw new Bad(fnNode, `topk_mean takes 3 arguments (value, axis, k), got ${n.args.length}`);
        const x = go(n.args[0]);
        if (x.type !== 'num') throw new Bad(n.args[0], `topk_mean averages numbers, found a condition`);
        const axis = axisArg(n.args[1], x, 'topk_mean');
        const k = intArg(n.args[2], 'k');
        if (k === 0) throw new Bad(n.args[2], `k must be at least 1`);
        const ax = x.axes.find((a) => a.name === axis)!;
        if (ax.size !== undefined && ax.size < k) throw new Bad(n.args[2], `k = ${k}, but '${axis}' has only ${ax.size} entries`);
        sizes.push({ axis, size: k, atLeast: true, from: `topk_mean(..., ${axis}, ${k})` });
        return fold({ op: 'topk', arg: x, axis, k, type: 'num', axes: x.axes.filter((a) => a.name !== axis) });
      }
      case 'take': {
        if (n.args.length !== 3) throw new Bad(fnNode, `take takes 3 arguments (value, axis, [indices]), got ${n.args.length}`);
        const x = go(n.args[0]);
        const axis = axisArg(n.args[1], x, 'take');
        const idxNode = n.args[2];
        let index: number[];
        if (idxNode.kind === 'list') index = idxNode.items.map((it) => intArg(it, 'an index'));
        else {
          const t = go(idxNode);
          if (t.op !== 'const' || t.axes.length !== 1 || !Array.from(t.data).every((v) => Number.isInteger(v) && v >= 0))
            throw new Bad(idxNode, `take's indices must be a list of non-negative integers, e.g. [0, 0, 1]`);
          index = Array.from(t.data);
        }
        const ax = x.axes.find((a) => a.name === axis)!;
        const top = Math.max(...index);
        if (ax.size !== undefined && top >= ax.size) throw new Bad(idxNode, `index ${top} is out of range: '${axis}' has ${ax.size} entries`);
        if (ax.size === undefined) sizes.push({ axis, size: top + 1, atLeast: true, from: `take(..., ${axis}, [${index.join(', ')}])` });
        return fold({ op: 'take', arg: x, axis, index, type: x.type, axes: x.axes.map((a) => (a.name === axis ? { name: axis, size: index.length } : a)) });
      }
    }
    throw new Bad(fnNode, `unknown function '${n.fn}'${suggestion(n.fn, ALL_FUNCTION_NAMES)}`);
  };

  for (const name of order) {
    const def = name === 'value' ? src.value : defSources.get(name)!;
    if (typeof def === 'number') {
      checked.set(name, scalar(def));
      continue;
    }
    if (typeof def === 'object') {
      checked.set(name, { op: 'const', type: 'num', axes: [{ name: def.axis, size: def.values.length }], data: Float64Array.from(def.values) });
      continue;
    }
    try {
      const t = go(trees.get(name)!);
      if (name === 'value' && t.type !== 'num') throw new Bad(trees.get(name)!, `the value is a condition; a loss needs numbers, e.g. where(c, 1, 0)`);
      checked.set(name, t);
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      issues.push({ where: name, column: e.node ? e.node.start + 1 : undefined, message: e.message });
    }
  }
  if (issues.length) return either.left(issues);
  const constants: Record<string, { data: number[]; axes: readonly Axis[] }> = {};
  const defs: string[] = [];
  for (const name of order) {
    if (name === 'value') continue;
    const t = checked.get(name)!;
    if (t.op === 'const') constants[name] = { data: Array.from(t.data), axes: t.axes };
    else defs.push(name);
  }
  const axesOf = Object.fromEntries([...checked].map(([name, t]) => [name, t.axes]));
  return either.right({ value: checked.get('value')!, constants, defs, reads: [...reads], sizes, printed, axesOf });
};
