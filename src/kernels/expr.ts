import * as tf from '@tensorflow/tfjs';
import { bindSizes, type Compiled, type Elementwise, evalJs, evalTf, FUNCTIONS, NEGATE, OPERATORS, type Typed } from '../expr/index.js';
import { guardInput, markLoss, type NaNGuard } from '../ops/nanGradient.js';
import { type InputKey, namedAxes, namedShape } from '../pipeline/keys.js';
import { saveWithoutCopy, scaleSaved } from './fused.js';
import { type Heap, recordingGradients, withHeap } from './memory.js';

/**
 * The `expr` kernel: an expression's elementwise part compiled into a register program (one
 * descriptor in wasm memory, run by `expr` in simd/assembly/expr.ts), fused with the sum or
 * mean that follows it over innermost axes. What comes after (top-k, further reductions) runs
 * as tfjs ops on the small reduced tensor.
 */

/** The kernel's opcodes for the elementwise functions it implements: what it accepts, by function (not by name). */
const OPCODES = new Map<Elementwise, number>([
  [OPERATORS['+'], 3],
  [OPERATORS['-'], 4],
  [OPERATORS['*'], 5],
  [OPERATORS['/'], 6],
  [NEGATE, 7],
  [FUNCTIONS.abs, 8],
  [FUNCTIONS.sqrt, 9],
  [FUNCTIONS.exp, 10],
  [FUNCTIONS.log, 11],
  [FUNCTIONS.log1p, 12],
  [OPERATORS['^'], 13],
  [FUNCTIONS.pow, 13],
  [FUNCTIONS.min, 14],
  [FUNCTIONS.max, 15],
  [OPERATORS['<'], 16],
  [OPERATORS['<='], 17],
  [OPERATORS['>'], 18],
  [OPERATORS['>='], 19],
  [OPERATORS['=='], 20],
  [OPERATORS['!='], 21],
  [FUNCTIONS.where, 22],
  [FUNCTIONS.and, 23],
  [FUNCTIONS.or, 24],
  [FUNCTIONS.not, 25],
  [FUNCTIONS.isnan, 26],
  [FUNCTIONS.square, 27],
]);
const FULL = 0;
const SPLAT = 1;
const BCAST = 2;
/** x · x: the tfjs path's x ^ 2 (see simd/assembly/expr.ts). */
const TIMES_SELF = 29;
const POW = 13;
/** b^x for a constant base b > 0 (≠ 1): ln b in the instruction. */
const POWC = 28;
const HEADER = 20;
const INSTR = 8;
const SUB = 4;
const MUL = 5;
/** Descriptor words: the one-pass form (1: a weighted squared difference), and its parameters' address. */
const FAST = 17;
const FAST_PARAMS = 18;
const FAST_WORDS = 16;
/**
 * Elements per chunk: every register holds one chunk (values and adjoints stay in cache, L2 for
 * long programs). 512 rather than 128: wing 256×17 ~10%, adaptive_wing ~8% faster (per-chunk
 * dispatch amortised over more vectors).
 */
export const CH = 512;

/** A load of an input or a constant: its data, and whether it spans the whole iteration space or repeats along it. */
type Leaf =
  | { readonly kind: 'input'; readonly name: string; readonly axes: readonly string[] }
  | { readonly kind: 'data'; readonly data: Float32Array; readonly axes: readonly string[] };

interface Instr {
  readonly op: number;
  readonly args: readonly number[];
  readonly leaf?: Leaf;
  readonly scalar?: number;
  readonly bool?: boolean;
  readonly differentiable: boolean;
}

/** The fused part of an expression: a program over `axes`, summed (or averaged, `mean`) over the last `reduced` of them (0: an elementwise value). */
export interface ExprRegion {
  readonly node: Typed;
  readonly axes: readonly string[];
  readonly reduced: number;
  readonly mean: boolean;
  /** The region is the whole value: the kernel also does the plan's reduce (a mean when `planMean`) and returns the loss. */
  readonly whole: boolean;
  readonly planMean: boolean;
  readonly program: readonly Instr[];
  /** Prediction inputs the program reads (each over the whole iteration space): they get gradients. */
  readonly predictions: readonly string[];
  /** Target inputs the program reads. */
  readonly constants: readonly string[];
}

/**
 * A program of the form ((a·wa − b·wb)^2)·wc — a, b different inputs over the whole iteration
 * space, each weight optional (absent: 1, exact under ×) and a non-differentiable constant or
 * broadcast load — as instruction indices, or null. The kernel runs it in one pass (wsq in
 * simd/assembly/expr.ts) with the interpreter's per-element ops; recognised from the
 * instructions, whatever the expression's names.
 */
interface SquaredDifference {
  readonly a: number;
  readonly b: number;
  readonly wa: number | null;
  readonly wb: number | null;
  readonly wc: number | null;
}
const squaredDifference = (program: readonly Instr[]): SquaredDifference | null => {
  const used = new Set<number>();
  const at = (k: number) => (used.add(k), program[k]);
  const isWeight = (k: number) => {
    const i = program[k];
    return !i.differentiable && !i.bool && (i.op === SPLAT || i.op === BCAST);
  };
  /** x·w or w·x (w a weight): [x, w]; else [k, null]. */
  const weighted = (k: number): [number, number | null] => {
    const i = program[k];
    if (i.op !== MUL) return [k, null];
    const [x, y] = i.args;
    if (isWeight(y) && !isWeight(x)) return (used.add(k), used.add(y), [x, y]);
    if (isWeight(x) && !isWeight(y)) return (used.add(k), used.add(x), [y, x]);
    return [k, null];
  };
  const root = program.length - 1;
  const [sq, wc] = weighted(root);
  if (at(sq).op !== TIMES_SELF) return null;
  const sub = at(sq).args[0];
  if (at(sub).op !== SUB) return null;
  const [a, wa] = weighted(program[sub].args[0]);
  const [b, wb] = weighted(program[sub].args[1]);
  if (a === b || at(a).op !== FULL || at(b).op !== FULL) return null;
  // nothing else in the program (no instruction shared in some other way)
  return used.size === program.length ? { a, b, wa, wb, wc } : null;
};

const through = (n: Typed): Typed => (n.op === 'def' ? through(n.body) : n);

/**
 * Compile `node` (over the iteration space `axes`) into a program, or null when some part is not
 * elementwise, an input is not a contiguous run of the axes, or a prediction is broadcast.
 */
const compile = (
  node: Typed,
  axes: readonly string[],
  isPrediction: (name: string) => boolean,
): Omit<ExprRegion, 'node' | 'axes' | 'reduced' | 'mean' | 'whole' | 'planMean'> | null => {
  const program: Instr[] = [];
  const index = new Map<string, number>();
  const predictions = new Set<string>();
  const constants = new Set<string>();
  const contiguous = (leafAxes: readonly string[]): boolean => {
    if (leafAxes.length === 0) return true;
    const i = axes.indexOf(leafAxes[0]);
    return i >= 0 && leafAxes.every((a, j) => axes[i + j] === a);
  };
  const emit = (key: string, ins: Instr): number => {
    const hit = index.get(key);
    if (hit !== undefined) return hit;
    program.push(ins);
    index.set(key, program.length - 1);
    return program.length - 1;
  };
  const go = (raw: Typed): number | null => {
    const n = through(raw);
    const names = n.axes.map((a) => a.name);
    switch (n.op) {
      case 'const':
        if (!contiguous(names)) return null;
        if (n.data.length === 1 && names.length === 0)
          return emit(`c:${n.type}:${n.data[0]}`, { op: SPLAT, args: [], scalar: n.data[0], bool: n.type === 'bool', differentiable: false });
        return emit(`d:${n.type}:${names}:${Array.from(n.data)}`, {
          op: BCAST,
          args: [],
          leaf: {
            kind: 'data',
            data: n.type === 'bool' ? new Float32Array(new Int32Array(Array.from(n.data, (v) => (v ? -1 : 0))).buffer) : Float32Array.from(n.data),
            axes: names,
          },
          differentiable: false,
        });
      case 'input': {
        const pred = isPrediction(n.name);
        const full = names.length === axes.length;
        if ((pred && !full) || !contiguous(names)) return null;
        (pred ? predictions : constants).add(n.name);
        return emit(`i:${n.name}`, { op: full ? FULL : BCAST, args: [], leaf: { kind: 'input', name: n.name, axes: names }, differentiable: pred });
      }
      case 'apply': {
        // x · 1, 1 · x and x / 1 are x, value and gradient (dy · 1 = dy on the tfjs path): no instruction
        const one = (a: Typed) => {
          const c = through(a);
          return c.op === 'const' && c.type === 'num' && c.axes.length === 0 && c.data.length === 1 && c.data[0] === 1;
        };
        if (n.fn === OPERATORS['*'] && one(n.args[1])) return go(n.args[0]);
        if (n.fn === OPERATORS['*'] && one(n.args[0])) return go(n.args[1]);
        if (n.fn === OPERATORS['/'] && one(n.args[1])) return go(n.args[0]);
        // x ^ 2 as x · x, as the tfjs path computes it, its two product-rule terms in one pass
        const two =
          n.fn === OPERATORS['^'] &&
          through(n.args[1]).op === 'const' &&
          through(n.args[1]).axes.length === 0 &&
          (through(n.args[1]) as { data: Float64Array }).data[0] === 2;
        const op = two ? TIMES_SELF : OPCODES.get(n.fn);
        if (op === undefined) return null;
        const args: number[] = [];
        for (const a of two ? [n.args[0]] : n.args) {
          const r = go(a);
          if (r === null) return null;
          args.push(r);
        }
        // a constant positive base (≠ 1): e^(x·ln b) with ln b computed once
        const base = program[args[0]];
        if (op === POW && base.op === SPLAT && !base.bool && base.scalar! > 0 && base.scalar !== 1 && Number.isFinite(base.scalar))
          return emit(`${POWC}(${args.join(',')})`, {
            op: POWC,
            args,
            scalar: Math.log(Math.fround(base.scalar!)),
            differentiable: program[args[1]].differentiable,
          });
        return emit(`${op}(${args.join(',')})`, { op, args, differentiable: args.some((a) => program[a].differentiable) });
      }
      default:
        return null;
    }
  };
  const root = go(node);
  if (root === null || root !== program.length - 1 || !program[root].differentiable) return null;
  return { program, predictions: [...predictions], constants: [...constants] };
};

/**
 * The part of a compiled expression the kernel runs: the whole value when it is elementwise
 * (summed, or averaged when `meanAll`, by the plan's reduce), else the first `sum` / `mean`
 * over innermost axes of an elementwise argument; null when there is none.
 */
export const exprRegion = (c: Compiled, isPrediction: (name: string) => boolean, meanAll: boolean): ExprRegion | null => {
  const whole = through(c.value);
  const all = whole.axes.map((a) => a.name);
  const p = compile(whole, all, isPrediction);
  if (p) return { node: whole, axes: all, reduced: 0, mean: false, whole: true, planMean: meanAll, ...p };
  const seen = new Set<Typed>();
  const search = (raw: Typed): ExprRegion | null => {
    const n = through(raw);
    if (seen.has(n)) return null;
    seen.add(n);
    if (n.op === 'reduce' && (n.fn === 'sum' || n.fn === 'mean')) {
      const axes = n.arg.axes.map((a) => a.name);
      const k = n.over.length;
      if (k > 0 && n.over.every((a) => axes.slice(axes.length - k).includes(a))) {
        const q = compile(n.arg, axes, isPrediction);
        if (q) return { node: n, axes, reduced: k, mean: n.fn === 'mean', whole: n === whole, planMean: meanAll, ...q };
      }
    }
    const kids = n.op === 'apply' ? n.args : n.op === 'reduce' || n.op === 'topk' || n.op === 'take' ? [n.arg] : [];
    for (const a of kids) {
      const r = search(a);
      if (r) return r;
    }
    return null;
  };
  return search(c.value);
};

/** The most elements a tensor the rest of an expression reads may have for a value to be finished in float64 JS. */
const JS_REST_LIMIT = 1 << 14;

/** The name the fused part's result goes by in the rest of the expression. */
const FUSED_INPUT = '\u0000fused';

/** `n` with `target` replaced by `leaf` (definitions looked through). */
const replace = (n: Typed, target: Typed, leaf: Typed): Typed => {
  if (n === target) return leaf;
  switch (n.op) {
    case 'def':
      return { ...n, body: replace(n.body, target, leaf) };
    case 'apply':
      return { ...n, args: n.args.map((a) => replace(a, target, leaf)) };
    case 'reduce':
    case 'topk':
    case 'take':
      return { ...n, arg: replace(n.arg, target, leaf) };
    default:
      return n;
  }
};

/** The inputs a tree reads. */
const inputsOf = (n: Typed, out = new Set<string>()): Set<string> => {
  if (n.op === 'input') out.add(n.name);
  else if (n.op === 'def') inputsOf(n.body, out);
  else if (n.op === 'apply') n.args.forEach((a) => inputsOf(a, out));
  else if (n.op === 'reduce' || n.op === 'topk' || n.op === 'take') inputsOf(n.arg, out);
  return out;
};

const f32bits = (x: number, bool: boolean): number => (bool ? (x ? -1 : 0) : new Int32Array(new Float32Array([x]).buffer)[0]);

/**
 * The kernel for a region at given axis sizes: its output shape, block length, scratch bytes,
 * and `run`, which writes the descriptor into scratch and runs the program. `heap.ins` are
 * [targets..., predictions...] in the region's order; `out` gets the result, `grads` (or null)
 * one gradient per prediction; `seeds` (0: none) makes it the gradient pass of a partial
 * reduction, each block's gradient scaled by its upstream gradient there (`out` is not written).
 */
export const exprKernel = (r: ExprRegion, sizes: Readonly<Record<string, number>>) => {
  const dims = r.axes.map((a) => sizes[a]);
  const N = dims.reduce((a, b) => a * b, 1);
  const valueShape = dims.slice(0, dims.length - r.reduced);
  const valueSize = valueShape.reduce((a, b) => a * b, 1);
  const reducedSize = dims.slice(dims.length - r.reduced).reduce((a, b) => a * b, 1);
  // the whole value: one sum over everything, the plan's reduce folded in (its mean divides by max(count, 1))
  const outShape = r.whole ? [] : valueShape;
  const L = r.whole ? N : reducedSize;
  const nOut = r.whole ? 1 : valueSize;
  const scale = (r.mean ? 1 / reducedSize : 1) * (r.whole && r.planMean ? 1 / Math.max(valueSize, 1) : 1);
  const dataLeaves = r.program.flatMap((i) => (i.leaf?.kind === 'data' ? [i.leaf.data] : []));
  const nI = r.program.length;
  const descWords = HEADER + nI * INSTR;
  const fast = squaredDifference(r.program);
  const innerOf = (leafAxes: readonly string[]) => {
    if (leafAxes.length === 0) return { inner: N, size: 1 };
    const last = r.axes.indexOf(leafAxes[leafAxes.length - 1]);
    const inner = dims.slice(last + 1).reduce((a, b) => a * b, 1);
    const size = leafAxes.reduce((a, n) => a * sizes[n], 1);
    return { inner: Math.max(inner, 1), size: Math.max(size, 1) };
  };
  // the scratch layout (byte offsets from its 16-byte-aligned start), the same on every call
  let end = 0;
  const take = (bytes: number) => ((end = (end + 15) & ~15), (end += bytes), end - bytes);
  const at = {
    desc: take(4 * descWords),
    loc: take(4 * nI),
    aloc: take(4 * nI),
    written: take(nI),
    memo: take(4 * nI),
    acc: take(8 * nOut),
    data: dataLeaves.map((d) => take(4 * d.length)),
    regs: take(nI * CH * 4),
    adj: take(nI * CH * 4),
    params: take(4 * FAST_WORDS),
    evaluated: take(nI),
  };
  const scratchBytes = end + 16;
  // the descriptor's words that do not depend on where the buffers are
  const template = new Int32Array(descWords);
  template.set([N, L, nOut, nI, 0, 0, 0, 0, f32bits(scale, false), 0, 0, nI - 1, CH]);
  template[FAST] = fast ? 1 : 0;
  /** Per instruction: which input's pointer (and gradient pointer) it takes, or which data leaf. */
  const inputAt: { word: number; name: string }[] = [];
  const dataAt: { word: number; leaf: number }[] = [];
  let d = 0;
  r.program.forEach((ins, k) => {
    const o = HEADER + k * INSTR;
    template.set([ins.op, ins.args[0] ?? 0, ins.args[1] ?? 0, ins.args[2] ?? 0, 0, 0, 0, ins.differentiable ? 1 : 0], o);
    if (ins.op === SPLAT || ins.op === POWC) template[o + 4] = f32bits(ins.scalar!, !!ins.bool);
    else if (ins.leaf) {
      if (ins.leaf.kind === 'input') inputAt.push({ word: o, name: ins.leaf.name });
      else dataAt.push({ word: o, leaf: d++ });
      if (ins.op === BCAST) {
        const { inner, size } = innerOf(ins.leaf.axes);
        (template[o + 5] = inner), (template[o + 6] = size);
      }
    }
  });
  const run = (heap: Heap, out: number, grads: readonly number[] | null, seeds: number): void => {
    const nc = r.constants.length;
    const base = (heap.scratch + 15) & ~15;
    const w = new Int32Array(heap.memory.buffer, base + at.desc, descWords);
    w.set(template);
    w.set([base + at.regs, base + at.adj, base + at.acc, out], 4);
    w[9] = grads ? 1 : 0;
    w[10] = base + at.loc;
    w.set([base + at.aloc, base + at.written, base + at.memo, seeds], 13);
    w.set([base + at.params, base + at.evaluated], FAST_PARAMS);
    for (const { word, name } of inputAt) {
      const c = r.constants.indexOf(name);
      const p = r.predictions.indexOf(name);
      w[word + 4] = c >= 0 ? heap.ins[c] : heap.ins[nc + p];
      w[word + 3] = grads && p >= 0 ? grads[p] : 0;
    }
    for (const { word, leaf } of dataAt) {
      new Float32Array(heap.memory.buffer, base + at.data[leaf], dataLeaves[leaf].length).set(dataLeaves[leaf]);
      w[word + 4] = base + at.data[leaf];
    }
    if (fast) writeSquaredDifference(new Int32Array(heap.memory.buffer, base + at.params, FAST_WORDS), fast, w);
    heap.kernels.expr(base + at.desc);
  };
  return { outShape, L, scratchBytes, run, form: fast ? ('squared difference' as const) : ('program' as const) };
};

/** Kernels by region and axis sizes: a loss called on same-shaped batches builds its kernel once. */
const kernels = new WeakMap<ExprRegion, Map<string, ReturnType<typeof exprKernel>>>();
const kernelFor = (r: ExprRegion, sizes: Readonly<Record<string, number>>): ReturnType<typeof exprKernel> => {
  let byShape = kernels.get(r);
  if (!byShape) kernels.set(r, (byShape = new Map()));
  const key = r.axes.map((a) => sizes[a]).join(',');
  let k = byShape.get(key);
  if (!k) {
    if (byShape.size >= 64) byShape.clear();
    byShape.set(key, (k = exprKernel(r, sizes)));
  }
  return k;
};

/** The one-pass form's parameters, from the instructions' loads as the descriptor `w` holds them. */
const writeSquaredDifference = (q: Int32Array, f: SquaredDifference, w: Int32Array): void => {
  const field = (k: number, j: number) => w[HEADER + k * INSTR + j];
  q.set([field(f.a, 4), field(f.b, 4), field(f.a, 3), field(f.b, 3)]);
  [f.wa, f.wb, f.wc].forEach((k, j) => {
    if (k === null) q.set([0, 0, 1, 1], 4 + 4 * j);
    else if (field(k, 0) === SPLAT) q.set([1, field(k, 4), 1, 1], 4 + 4 * j);
    else q.set([2, field(k, 4), field(k, 5), field(k, 6)], 4 + 4 * j);
  });
};

/**
 * The region's value (its outer axes), in `tf.customGrad`. The whole value computes its gradient
 * in the same pass (its upstream gradient is a scalar, 1 when the loss is differentiated
 * directly); a partial reduction runs a gradient pass in backward instead, each block's adjoint
 * seeded with its upstream gradient (blocks with 0 — the keypoints top-k leaves out — are
 * skipped: zeros, unevaluated).
 */
const runRegion = (
  r: ExprRegion,
  tensors: Readonly<Record<string, tf.Tensor>>,
  sizes: Readonly<Record<string, number>>,
  loss: { finite: boolean },
): tf.Tensor => {
  const { outShape, scratchBytes, run } = kernelFor(r, sizes);
  const consts = r.constants.map((n) => tensors[n]);
  // nothing records a gradient: the value alone, no customGrad around it
  if (!recordingGradients())
    return withHeap([...consts, ...r.predictions.map((n) => tensors[n])], [outShape], scratchBytes, (heap) => run(heap, heap.outs[0], null, 0))[0];
  const f = tf.customGrad(((...args: unknown[]) => {
    const preds = args.slice(0, -1) as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const shapes = preds.map((p) => p.shape);
    const withGrad = recordingGradients();
    const inPass = withGrad && r.whole;
    const [value, ...grads] = withHeap([...consts, ...preds], [outShape, ...(inPass ? shapes : [])], scratchBytes, (heap) =>
      run(heap, heap.outs[0], inPass ? heap.outs.slice(1) : null, 0),
    );
    // the inputs are saved for the gradient pass: the caller's scope disposes them before backward
    saveWithoutCopy(save, inPass ? grads : withGrad ? [...consts, ...preds] : []);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        // a non-finite loss: every gradient entry NaN, as on the tfjs-ops path (README "How a pipeline runs")
        if (!loss.finite) return shapes.map((s) => tf.fill(s, NaN));
        if (r.whole) return scaleSaved(saved, dy);
        return withHeap([...saved, dy], shapes, scratchBytes, (heap) => run(heap, 0, heap.outs, heap.ins[saved.length]));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (f as unknown as (...xs: tf.Tensor[]) => tf.Tensor)(...r.predictions.map((n) => tensors[n]));
};

/** A region that is the whole value: the loss itself; whether it is finite is read (4 bytes, cpu/wasm memory) only while a gradient records. */
const wholeLoss = (r: ExprRegion, tensors: Readonly<Record<string, tf.Tensor>>, sizes: Readonly<Record<string, number>>): tf.Scalar => {
  const state = { finite: true };
  const out = runRegion(r, tensors, sizes, state);
  if (recordingGradients()) state.finite = Number.isFinite(out.dataSync()[0]);
  return out as tf.Scalar;
};

/**
 * Evaluate an expression with its fused region on the kernel: the region's result, then the
 * rest of the expression as tfjs ops (evalTf), then `reduce` (the plan's). `tensors` are shaped
 * as their named axes (`axesOf`); `targets` get no gradient.
 */
export const evalExprFused = (
  c: Compiled,
  r: ExprRegion,
  tensors: Readonly<Record<string, tf.Tensor>>,
  axesOf: Readonly<Record<string, readonly string[]>>,
  targets: ReadonlySet<string>,
  reduce: (v: tf.Tensor, count: tf.Tensor) => tf.Tensor,
): tf.Scalar => {
  const sizes = bindSizes(c, axesOf, Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, t.shape])));
  if (typeof sizes === 'string') throw new Error(`expr: ${sizes}`);
  if (r.whole) return wholeLoss(r, tensors, sizes);
  const state = { finite: true };
  const recording = recordingGradients();
  const out = runRegion(r, tensors, sizes, state);
  const leaf = { op: 'input', name: FUSED_INPUT, type: 'num', axes: r.node.axes } as Typed;
  // predictions the rest reads directly get the tfjs-ops path's non-finite guard
  const restTree = replace(c.value, r.node, leaf);
  const restInputs: Record<string, tf.Tensor> = { ...tensors, [FUSED_INPUT]: out };
  const restReads = inputsOf(restTree);
  // a value alone, the rest reading only small tensors (the kernel's reduced output, per-row
  // targets): the float64 evaluator on their data, not a chain of tfjs ops (ohkm_mse's top-k)
  if (!recording && [...restReads].every((n) => restInputs[n].size <= JS_REST_LIMIT)) {
    const inputs = Object.fromEntries([...restReads].map((n) => [n, { data: Float64Array.from(restInputs[n].dataSync()), shape: restInputs[n].shape }]));
    const v = evalJs(restTree, { inputs, sizes });
    const rest = tf.tensor(Float32Array.from(v.data), [...v.shape]);
    return reduce(rest, tf.scalar(rest.size)) as tf.Scalar;
  }
  const guarded = r.predictions.filter((n) => restReads.has(n));
  const guard: NaNGuard | null = recording && guarded.length > 0 ? {} : null;
  if (guard) for (const n of guarded) restInputs[n] = guardInput(tensors[n], guard);
  const rest = evalTf({ ...c, value: restTree }, restInputs, sizes, targets);
  const loss = reduce(rest, tf.scalar(rest.size)) as tf.Scalar;
  if (!recording) return loss;
  state.finite = Number.isFinite(loss.dataSync()[0]);
  return guard ? (markLoss(loss, guard) as tf.Scalar) : loss;
};

/** Axis sizes of a whole region's inputs, by their shapes (bound once per shape). */
const sizesByShape = new WeakMap<ExprRegion, Map<string, Readonly<Record<string, number>>>>();
const wholeSizes = (
  c: Compiled,
  r: ExprRegion,
  bindings: readonly (readonly [string, InputKey])[],
  axesOf: Readonly<Record<string, readonly string[]>>,
  raw: Readonly<Record<string, tf.Tensor>>,
): Readonly<Record<string, number>> => {
  let byShape = sizesByShape.get(r);
  if (!byShape) sizesByShape.set(r, (byShape = new Map()));
  const key = bindings.map(([n]) => raw[n].shape.join(',')).join(';');
  let sizes = byShape.get(key);
  if (!sizes) {
    const bound = bindSizes(c, axesOf, Object.fromEntries(bindings.map(([n, k]) => [n, namedShape(k, raw[n].shape)])));
    if (typeof bound === 'string') throw new Error(`expr: ${bound}`);
    if (byShape.size >= 64) byShape.clear();
    byShape.set(key, (sizes = bound));
  }
  return sizes;
};

/** Each binding list's named axes (a step's bindings are one array for its lifetime). */
const axesByBindings = new WeakMap<readonly (readonly [string, InputKey])[], Readonly<Record<string, readonly string[]>>>();

/** `evalExprFused` for an expr step's bindings (name → input key) over a plan's tensors (by key). */
export const runExpr = (
  c: Compiled,
  r: ExprRegion,
  bindings: readonly (readonly [string, InputKey])[],
  env: ReadonlyMap<string, tf.Tensor>,
  targets: ReadonlySet<string>,
  reduce: (v: tf.Tensor, count: tf.Tensor) => tf.Tensor,
): tf.Scalar => {
  let axesOf = axesByBindings.get(bindings);
  if (!axesOf) axesByBindings.set(bindings, (axesOf = Object.fromEntries(bindings.map(([n, key]) => [n, namedAxes(key)]))));
  if (r.whole) {
    // the kernel reads memory, which a view along the named axes ((B, 2K) as (B, K, 2)) does not change: no reshapes
    const raw = Object.fromEntries(bindings.map(([n, key]) => [n, env.get(key)!]));
    return wholeLoss(r, raw, wholeSizes(c, r, bindings, axesOf, raw));
  }
  const tensors: Record<string, tf.Tensor> = {};
  for (const [n, key] of bindings) {
    const x = env.get(key)!;
    const shape = namedShape(key, x.shape);
    // a reshape on a recording tape saves (and so copies) its input: only where the shape changes
    tensors[n] = shape.length === x.rank && shape.every((d, i) => d === x.shape[i]) ? x : x.reshape(shape);
  }
  return evalExprFused(c, r, tensors, axesOf, targets, reduce);
};
