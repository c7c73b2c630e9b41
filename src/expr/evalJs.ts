import type { Typed } from './typed.js';

/** A float64 array with its shape (one length per axis of the node it belongs to). */
export interface JsValue {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

export interface JsEnv {
  readonly inputs: Readonly<Record<string, JsValue>>;
  /** Run-time lengths of the axes whose length no constant fixes. */
  readonly sizes: Readonly<Record<string, number>>;
}

const strides = (shape: readonly number[]): number[] => {
  const s = Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
};

/** For each axis of `to`, the stride of `from`'s element along it (0 where `from` lacks it: broadcast). */
const mapStrides = (from: Typed, to: Typed, shape: readonly number[]): number[] => {
  const st = strides(shape);
  return to.axes.map((a) => {
    const i = from.axes.findIndex((b) => b.name === a.name);
    return i < 0 ? 0 : st[i];
  });
};

/** Visit every multi-index of `shape`, calling `f(flatIndex, offsets)` with one running offset per stride list. */
const forEach = (shape: readonly number[], strideLists: readonly number[][], f: (i: number, offs: number[]) => void): void => {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = Array(shape.length).fill(0);
  const offs = strideLists.map(() => 0);
  for (let i = 0; i < n; i++) {
    f(i, offs);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]++;
      for (let j = 0; j < offs.length; j++) offs[j] += strideLists[j][d];
      if (idx[d] < shape[d]) break;
      for (let j = 0; j < offs.length; j++) offs[j] -= strideLists[j][d] * shape[d];
      idx[d] = 0;
    }
  }
};

/**
 * The float64 reference evaluator: what the tfjs evaluator is tested against and what
 * constants are folded with. Plain loops over plain arrays; no tensors.
 */
export const evalJs = (node: Typed, env: JsEnv): JsValue => {
  const memo = new Map<Typed, JsValue>();
  const shapeOf = (n: Typed): number[] => n.axes.map((a) => a.size ?? env.sizes[a.name]);
  const go = (n: Typed): JsValue => {
    const hit = memo.get(n);
    if (hit) return hit;
    const v = compute(n);
    memo.set(n, v);
    return v;
  };
  const compute = (n: Typed): JsValue => {
    const shape = shapeOf(n);
    switch (n.op) {
      case 'const':
        return { data: n.data, shape };
      case 'input':
        return env.inputs[n.name];
      case 'def':
        return go(n.body);
      case 'size':
        return { data: Float64Array.of(env.sizes[n.axis]), shape };
      case 'index':
        return { data: Float64Array.from({ length: shape[0] }, (_, i) => i), shape };
      case 'apply': {
        const args = n.args.map(go);
        const sts = n.args.map((a, i) => mapStrides(a, n, args[i].shape));
        const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
        const xs = Array(args.length).fill(0);
        forEach(shape, sts, (i, offs) => {
          for (let j = 0; j < args.length; j++) xs[j] = args[j].data[offs[j]];
          out[i] = n.fn.js(...xs);
        });
        return { data: out, shape };
      }
      case 'reduce': {
        const x = go(n.arg);
        const outStrides = strides(shape);
        const toOut = n.arg.axes.map((a) => {
          const i = n.axes.findIndex((b) => b.name === a.name);
          return i < 0 ? 0 : outStrides[i];
        });
        const size = shape.reduce((a, b) => a * b, 1);
        const count = x.data.length / Math.max(size, 1);
        const init = n.fn === 'max' ? -Infinity : n.fn === 'min' ? Infinity : n.fn === 'all' ? 1 : 0;
        const out = new Float64Array(size).fill(init);
        forEach(x.shape, [toOut], (i, [o]) => {
          const v = x.data[i];
          switch (n.fn) {
            case 'sum':
            case 'mean':
              out[o] += v;
              break;
            case 'norm':
              out[o] += v * v;
              break;
            case 'max':
              out[o] = Number.isNaN(v) || v > out[o] ? v : out[o];
              break;
            case 'min':
              out[o] = Number.isNaN(v) || v < out[o] ? v : out[o];
              break;
            case 'any':
              out[o] = out[o] || v ? 1 : 0;
              break;
            case 'all':
              out[o] = out[o] && v ? 1 : 0;
              break;
          }
        });
        if (n.fn === 'mean') for (let i = 0; i < size; i++) out[i] /= count;
        if (n.fn === 'norm') for (let i = 0; i < size; i++) out[i] = Math.sqrt(out[i]);
        return { data: out, shape };
      }
      case 'topk':
      case 'take': {
        const x = go(n.arg);
        const ax = n.arg.axes.findIndex((a) => a.name === n.axis);
        const st = strides(x.shape);
        const len = x.shape[ax];
        // iterate over x's positions with the axis pinned at 0, gathering the line along it
        const lineShape = x.shape.map((s, i) => (i === ax ? 1 : s));
        const out: number[] = [];
        const lines: number[][] = [];
        forEach(lineShape, [st], (_i, [o]) => {
          const line = Array.from({ length: len }, (_, j) => x.data[o + j * st[ax]]);
          lines.push(line);
        });
        if (n.op === 'topk') {
          for (const line of lines)
            out.push(
              line.some(Number.isNaN)
                ? NaN
                : line
                    .sort((a, b) => b - a)
                    .slice(0, n.k)
                    .reduce((a, b) => a + b, 0) / n.k,
            );
          return { data: Float64Array.from(out), shape };
        }
        // take: lines are in x's order with the axis pinned; write them back with the new axis length
        const res = new Float64Array(shape.reduce((a, b) => a * b, 1));
        const rst = strides(shape);
        let li = 0;
        forEach(lineShape, [rst], (_i, [o]) => {
          const line = lines[li++];
          n.index.forEach((src, j) => (res[o + j * rst[ax]] = line[src]));
        });
        return { data: res, shape };
      }
    }
  };
  return go(node);
};
