// AssemblyScript: an `expr` compute's elementwise part run as a small register program, summed
// over blocks of L consecutive elements (the reduced innermost axes), with the local gradient of
// each block's sum w.r.t. every full-size prediction input (reverse mode, per chunk of CH
// elements: the chunk's intermediates stay in scratch registers).
//
// Everything comes from ONE descriptor of i32 words (built by src/kernels/expr.ts):
//   header (16 words): N elements, L elements per output, nOut, nInstr, regs (values,
//   nInstr·CH floats), adj (nInstr·CH floats), acc (nOut float64), out (nOut float32),
//   scale (f32 bits: out = scale·Σ), withGrad, loc (nInstr i32), root, CH
//   then nInstr instructions of 8 words: op, a, b, c, p0, p1, p2, flags (bit 0: differentiable).
// Loads: FULL p0 = input pointer, c = gradient pointer (0: none); SPLAT p0 = f32 bits;
// BCAST p0 = pointer, p1 = inner (elements per value), p2 = size (values, cycled).
// Conditions are lane masks (all ones / zero).
import { addWide, exp4, log4, total2 } from './vector';

const FULL = 0;
const SPLAT = 1;
const BCAST = 2;
const ADD = 3;
const SUB = 4;
const MUL = 5;
const DIV = 6;
const NEG = 7;
const ABS = 8;
const SQRT = 9;
const EXP = 10;
const LOG = 11;
const LOG1P = 12;
const POW = 13;
const MIN = 14;
const MAX = 15;
const LT = 16;
const LE = 17;
const GT = 18;
const GE = 19;
const EQ = 20;
const NE = 21;
const WHERE = 22;
const AND = 23;
const OR = 24;
const NOT = 25;
const ISNAN = 26;
const SQUARE = 27;

const F32_MAX: f32 = 3.4028234663852886e38;
const HEADER = 16;
const INSTR = 8;

// @ts-ignore: decorator
@inline function word(d: usize, i: i32): i32 {
  return load<i32>(d + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function field(d: usize, k: i32, f: i32): i32 {
  return load<i32>(d + (<usize>(HEADER + k * INSTR + f) << 2));
}
// @ts-ignore: decorator
@inline function at(loc: usize, k: i32): usize {
  return <usize>load<i32>(loc + (<usize>k << 2));
}

/**
 * d clipped to ±(largest float32), so that a zero cotangent times an infinite derivative is 0
 * (tfops' `flow`); NaN becomes −(largest float32), as the tfjs wasm backend's clipByValue does.
 */
// @ts-ignore: decorator
@inline function clip(d: v128): v128 {
  return f32x4.pmin(f32x4.splat(F32_MAX), f32x4.pmax(f32x4.splat(-F32_MAX), d));
}

/** ln(1 + x), exact near 0: ln u · x / (u − 1) with u = 1 + x (x itself where u rounds to 1). */
// @ts-ignore: decorator
@inline function log1p4(x: v128): v128 {
  const u = f32x4.add(x, f32x4.splat(1));
  const d = f32x4.sub(u, f32x4.splat(1));
  const r = f32x4.div(f32x4.mul(log4(u), x), d);
  const exact = v128.or(f32x4.eq(d, f32x4.splat(0)), f32x4.eq(x, f32x4.splat(Infinity)));
  return v128.bitselect(x, r, exact);
}

/** a^b as C's powf: e^(b·ln|a|), signed for a negative a with an odd integer b, NaN for a non-integer one; a^0 = 1^b = 1. */
// @ts-ignore: decorator
@inline function pow4(a: v128, b: v128): v128 {
  const y = exp4(f32x4.mul(b, log4(f32x4.abs(a))));
  const integer = f32x4.eq(f32x4.floor(b), b);
  const half = f32x4.mul(b, f32x4.splat(0.5));
  const odd = v128.and(integer, f32x4.ne(f32x4.floor(half), half));
  const negative = f32x4.lt(a, f32x4.splat(0));
  let r = v128.bitselect(v128.bitselect(f32x4.neg(y), y, odd), y, negative);
  r = v128.bitselect(f32x4.splat(NaN), r, v128.andnot(negative, integer));
  return v128.bitselect(f32x4.splat(1), r, v128.or(f32x4.eq(b, f32x4.splat(0)), f32x4.eq(a, f32x4.splat(1))));
}

// @ts-ignore: decorator
@inline function mask1(m: v128): v128 {
  return v128.and(m, f32x4.splat(1));
}

/** One instruction's value over `nv` vectors. */
function forwardOp(op: i32, dst: usize, a: usize, b: usize, c: usize, nv: i32): void {
  for (let v = 0; v < nv; v++) {
    const o = <usize>v << 4;
    const x = v128.load(a + o);
    let y: v128;
    if (op == NEG) y = f32x4.neg(x);
    else if (op == ABS) y = f32x4.abs(x);
    else if (op == SQRT) y = f32x4.sqrt(x);
    else if (op == EXP) y = exp4(x);
    else if (op == LOG) y = log4(x);
    else if (op == LOG1P) y = log1p4(x);
    else if (op == SQUARE) y = f32x4.mul(x, x);
    else if (op == NOT) y = v128.not(x);
    else if (op == ISNAN) y = f32x4.ne(x, x);
    else {
      const z = v128.load(b + o);
      if (op == ADD) y = f32x4.add(x, z);
      else if (op == SUB) y = f32x4.sub(x, z);
      else if (op == MUL) y = f32x4.mul(x, z);
      else if (op == DIV) y = f32x4.div(x, z);
      else if (op == POW) y = pow4(x, z);
      else if (op == MIN || op == MAX) {
        const nan = v128.or(f32x4.ne(x, x), f32x4.ne(z, z));
        y = v128.bitselect(f32x4.splat(NaN), op == MIN ? f32x4.min(x, z) : f32x4.max(x, z), nan);
      } else if (op == LT) y = f32x4.lt(x, z);
      else if (op == LE) y = f32x4.le(x, z);
      else if (op == GT) y = f32x4.gt(x, z);
      else if (op == GE) y = f32x4.ge(x, z);
      else if (op == EQ) y = f32x4.eq(x, z);
      else if (op == NE) y = f32x4.ne(x, z);
      else if (op == AND) y = v128.and(x, z);
      else if (op == OR) y = v128.or(x, z);
      else y = v128.bitselect(z, v128.load(c + o), x); // WHERE: a is the condition
    }
    v128.store(dst + o, y);
  }
}

/** adj[k] += g over nv vectors. */
// @ts-ignore: decorator
@inline function accumulate(adj: usize, o: usize, g: v128): void {
  v128.store(adj + o, f32x4.add(v128.load(adj + o), g));
}

/** Propagate instruction k's adjoint (at `g`) to its differentiable arguments. */
function backwardOp(d: usize, k: i32, loc: usize, adjBase: usize, ch: i32, nv: i32): void {
  const op = field(d, k, 0);
  const ia = field(d, k, 1);
  const ib = field(d, k, 2);
  const ic = field(d, k, 3);
  const regBytes = <usize>ch << 2;
  const g = adjBase + <usize>k * regBytes;
  const y = at(loc, k);
  const a = at(loc, ia);
  const da = (field(d, ia, 7) & 1) != 0;
  const aa = adjBase + <usize>ia * regBytes;
  let db = false;
  let b: usize = 0;
  let ab: usize = 0;
  if (op == ADD || op == SUB || op == MUL || op == DIV || op == POW || op == MIN || op == MAX || op == WHERE) {
    b = at(loc, ib);
    db = (field(d, ib, 7) & 1) != 0;
    ab = adjBase + <usize>ib * regBytes;
  }
  for (let v = 0; v < nv; v++) {
    const o = <usize>v << 4;
    const dy = v128.load(g + o);
    const x = v128.load(a + o);
    if (op == WHERE) {
      // a: condition, b: taken where it holds, c: elsewhere; the branch not taken gets exactly 0
      if (db) accumulate(ab, o, v128.and(dy, x));
      if ((field(d, ic, 7) & 1) != 0) accumulate(adjBase + <usize>ic * regBytes, o, v128.andnot(dy, x));
      continue;
    }
    if (op == NEG) {
      accumulate(aa, o, f32x4.neg(dy));
      continue;
    }
    if (op == ABS) {
      // x·sign(x): sign(x), 0 at 0
      const s = v128.or(mask1(f32x4.gt(x, f32x4.splat(0))), v128.and(f32x4.lt(x, f32x4.splat(0)), f32x4.splat(-1)));
      accumulate(aa, o, f32x4.mul(dy, v128.bitselect(x, s, f32x4.ne(x, x))));
      continue;
    }
    if (op == SQUARE) {
      accumulate(aa, o, f32x4.mul(dy, f32x4.mul(x, f32x4.splat(2))));
      continue;
    }
    const yv = v128.load(y + o);
    if (op == SQRT) {
      const pos = f32x4.gt(yv, f32x4.splat(0));
      accumulate(aa, o, f32x4.mul(dy, clip(v128.and(f32x4.div(f32x4.splat(0.5), yv), pos))));
      continue;
    }
    if (op == EXP) {
      accumulate(aa, o, f32x4.mul(dy, clip(yv)));
      continue;
    }
    if (op == LOG) {
      accumulate(aa, o, f32x4.mul(dy, clip(f32x4.div(f32x4.splat(1), x))));
      continue;
    }
    if (op == LOG1P) {
      accumulate(aa, o, f32x4.mul(dy, clip(f32x4.div(f32x4.splat(1), f32x4.add(x, f32x4.splat(1))))));
      continue;
    }
    const z = v128.load(b + o);
    if (op == ADD) {
      if (da) accumulate(aa, o, dy);
      if (db) accumulate(ab, o, dy);
    } else if (op == SUB) {
      if (da) accumulate(aa, o, dy);
      if (db) accumulate(ab, o, f32x4.neg(dy));
    } else if (op == MUL) {
      if (da) accumulate(aa, o, f32x4.mul(dy, clip(z)));
      if (db) accumulate(ab, o, f32x4.mul(dy, clip(x)));
    } else if (op == DIV) {
      if (da) accumulate(aa, o, f32x4.mul(dy, clip(f32x4.div(f32x4.splat(1), z))));
      if (db) accumulate(ab, o, f32x4.mul(dy, clip(f32x4.neg(f32x4.div(yv, z)))));
    } else if (op == POW) {
      if (da) {
        // b·a^(b−1); 0 where b = 0, or a = 0 with b < 1
        const zero = v128.or(f32x4.eq(z, f32x4.splat(0)), v128.and(f32x4.eq(x, f32x4.splat(0)), f32x4.lt(z, f32x4.splat(1))));
        accumulate(aa, o, f32x4.mul(dy, clip(v128.andnot(f32x4.mul(z, pow4(x, f32x4.sub(z, f32x4.splat(1)))), zero))));
      }
      if (db) {
        // a^b·ln a where a > 0, else 0
        const pos = f32x4.gt(x, f32x4.splat(0));
        const lx = log4(v128.bitselect(x, f32x4.splat(1), pos));
        accumulate(ab, o, f32x4.mul(dy, clip(v128.and(f32x4.mul(yv, lx), pos))));
      }
    } else {
      // MIN / MAX: to a where a ≤ b (a ≥ b), to b where a > b (a < b)
      const toA = op == MIN ? f32x4.le(x, z) : f32x4.ge(x, z);
      const toB = op == MIN ? f32x4.gt(x, z) : f32x4.lt(x, z);
      if (da) accumulate(aa, o, f32x4.mul(dy, mask1(toA)));
      if (db) accumulate(ab, o, f32x4.mul(dy, mask1(toB)));
    }
  }
}

/** Σ of the floats at [p + 4·j0, p + 4·j1): float32 lanes in blocks of 64, float64 across blocks. */
function sumRange(p: usize, j0: i32, j1: i32): f64 {
  let s: f64 = 0;
  let j = j0;
  for (; j < j1 && (j & 3) != 0; j++) s += <f64>load<f32>(p + (<usize>j << 2));
  let acc = f64x2.splat(0);
  while (j + 4 <= j1) {
    let block = f32x4.splat(0);
    const end = min(j1 & ~3, j + 64);
    for (; j < end; j += 4) block = f32x4.add(block, v128.load(p + (<usize>j << 2)));
    acc = addWide(acc, block);
  }
  for (; j < j1; j++) s += <f64>load<f32>(p + (<usize>j << 2));
  return s + total2(acc);
}

/** Run the program in descriptor `d`: out[o] = scale·Σ over block o; the gradients (local, of out[o]) when withGrad. */
export function expr(d: usize): void {
  const N = word(d, 0);
  const L = word(d, 1);
  const nOut = word(d, 2);
  const nInstr = word(d, 3);
  const regs = <usize>word(d, 4);
  const adj = <usize>word(d, 5);
  const acc = <usize>word(d, 6);
  const out = <usize>word(d, 7);
  const scale = load<f32>(d + (8 << 2));
  const withGrad = word(d, 9) != 0;
  const loc = <usize>word(d, 10);
  const root = word(d, 11);
  const CH = word(d, 12);
  const regBytes = <usize>CH << 2;
  for (let o = 0; o < nOut; o++) store<f64>(acc + (<usize>o << 3), 0);
  for (let i0 = 0; i0 < N; i0 += CH) {
    const n = min(CH, N - i0);
    const nv = (n + 3) >> 2;
    for (let k = 0; k < nInstr; k++) {
      const op = field(d, k, 0);
      const reg = regs + <usize>k * regBytes;
      let dst = reg;
      if (op == FULL) {
        const src = <usize>field(d, k, 4) + (<usize>i0 << 2);
        if (n == CH) dst = src;
        else memory.copy(reg, src, <usize>n << 2);
      } else if (op == SPLAT) {
        const v = v128.splat<i32>(field(d, k, 4));
        for (let v4 = 0; v4 < nv; v4++) v128.store(reg + (<usize>v4 << 4), v);
      } else if (op == BCAST) {
        const src = <usize>field(d, k, 4);
        const inner = field(d, k, 5);
        const size = field(d, k, 6);
        let q = i0 / inner;
        let r = i0 - q * inner;
        q = q % size;
        let x = load<f32>(src + (<usize>q << 2));
        if (r + n <= inner) {
          // one value over the whole chunk (e.g. a keypoint weight over its map)
          const v = f32x4.splat(x);
          for (let v4 = 0; v4 < nv; v4++) v128.store(reg + (<usize>v4 << 4), v);
        } else for (let j = 0; j < n; j++) {
          store<f32>(reg + (<usize>j << 2), x);
          if (++r == inner) {
            r = 0;
            if (++q == size) q = 0;
            x = load<f32>(src + (<usize>q << 2));
          }
        }
      } else forwardOp(op, reg, at(loc, field(d, k, 1)), at(loc, field(d, k, 2)), at(loc, field(d, k, 3)), nv);
      store<i32>(loc + (<usize>k << 2), <i32>dst);
    }
    // the root's sums, block by block
    const y = at(loc, root);
    for (let j = 0; j < n; ) {
      const o = (i0 + j) / L;
      const end = min(n, (o + 1) * L - i0);
      const a = acc + (<usize>o << 3);
      store<f64>(a, load<f64>(a) + sumRange(y, j, end));
      j = end;
    }
    if (!withGrad) continue;
    for (let k = 0; k <= root; k++) if ((field(d, k, 7) & 1) != 0) memory.fill(adj + <usize>k * regBytes, 0, regBytes);
    const seed = f32x4.splat(scale);
    const g = adj + <usize>root * regBytes;
    for (let v4 = 0; v4 < nv; v4++) v128.store(g + (<usize>v4 << 4), seed);
    for (let k = root; k >= 0; k--) {
      if ((field(d, k, 7) & 1) == 0) continue;
      const op = field(d, k, 0);
      if (op == FULL) {
        const gp = <usize>field(d, k, 3);
        if (gp) memory.copy(gp + (<usize>i0 << 2), adj + <usize>k * regBytes, <usize>n << 2);
      } else if (op != SPLAT && op != BCAST) backwardOp(d, k, loc, adj, CH, nv);
    }
  }
  for (let o = 0; o < nOut; o++) store<f32>(out + (<usize>o << 2), <f32>(load<f64>(acc + (<usize>o << 3)) * <f64>scale));
}
