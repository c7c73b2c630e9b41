// AssemblyScript: an `expr` compute's elementwise part run as a small register program, summed
// over blocks of L consecutive elements (the reduced innermost axes), with the local gradient of
// each block's sum w.r.t. every full-size prediction input (reverse mode, per chunk of CH
// elements: the chunk's intermediates stay in scratch registers).
//
// Everything comes from ONE descriptor of i32 words (built by src/kernels/expr.ts):
//   header (20 words): N elements, L elements per output, nOut, nInstr, regs (values,
//   nInstr·CH floats), adj (nInstr·CH floats), acc (nOut float64), out (nOut float32),
//   scale (f32 bits: out = scale·Σ), withGrad, loc (nInstr i32), root, CH, aloc (nInstr i32:
//   where each adjoint lives this chunk), written (nInstr bytes), memo (nInstr i32: the entry a
//   broadcast register holds splatted, + 1; 0: none), seeds (0, or nOut floats: the gradient
//   pass, each block's adjoint seeded with its upstream gradient · scale; no value written)
//   fast (0: the interpreter; 1: a weighted squared difference, see wsq below), fastParams
//   (pointer to its 16 i32 words), evaluated (nInstr bytes: which instructions ran this chunk),
//   then nInstr instructions of 8 words: op, a, b, c, p0, p1, p2, flags (bit 0: differentiable).
// Loads: FULL p0 = input pointer, c = gradient pointer (0: none); SPLAT p0 = f32 bits;
// BCAST p0 = pointer, p1 = inner (elements per value), p2 = size (values, cycled).
// Conditions are lane masks (all ones / zero).
import { addWide, exp4, loadTail, log4, storeTail, total2 } from './vector';

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
/** b^x for a constant base b > 0: e^(x·ln b), ln b (p0, f32 bits) computed once. */
const POWC = 28;
/** x · x as the tfjs path's x ^ 2 (a product): derivative 2·clip(x), where `square` has tfjs' 2x. */
const TIMES_SELF = 29;

const F32_MAX: f32 = 3.4028234663852886e38;
const HEADER = 20;
/** Descriptor word: 1 when the program is a weighted squared difference (run by wsq, one pass). */
const FAST = 17;
const EVALUATED = 19;
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

/** min / max that give NaN where either argument is NaN (as torch.minimum; wasm's f32x4.min already does, this says so). */
// @ts-ignore: decorator
@inline function minNaN(x: v128, z: v128): v128 {
  return v128.bitselect(f32x4.splat(NaN), f32x4.min(x, z), v128.or(f32x4.ne(x, x), f32x4.ne(z, z)));
}
// @ts-ignore: decorator
@inline function maxNaN(x: v128, z: v128): v128 {
  return v128.bitselect(f32x4.splat(NaN), f32x4.max(x, z), v128.or(f32x4.ne(x, x), f32x4.ne(z, z)));
}

/** One instruction's value over `nv` vectors (the op chosen once, outside the loop). WHERE: a is the condition. */
function forwardOp(op: i32, dst: usize, a: usize, b: usize, c: usize, nv: i32): void {
  const end = <usize>nv << 4;
  switch (op) {
    case NEG:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.neg(v128.load(a + o)));
      return;
    case ABS:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.abs(v128.load(a + o)));
      return;
    case SQRT:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.sqrt(v128.load(a + o)));
      return;
    case EXP:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, exp4(v128.load(a + o)));
      return;
    case LOG:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, log4(v128.load(a + o)));
      return;
    case LOG1P:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, log1p4(v128.load(a + o)));
      return;
    case SQUARE:
    case TIMES_SELF:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.mul(v128.load(a + o), v128.load(a + o)));
      return;
    case NOT:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, v128.not(v128.load(a + o)));
      return;
    case ISNAN:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.ne(v128.load(a + o), v128.load(a + o)));
      return;
    case ADD:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
      return;
    case SUB:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.sub(v128.load(a + o), v128.load(b + o)));
      return;
    case MUL:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
      return;
    case DIV:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.div(v128.load(a + o), v128.load(b + o)));
      return;
    case POW:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, pow4(v128.load(a + o), v128.load(b + o)));
      return;
    case MIN:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, minNaN(v128.load(a + o), v128.load(b + o)));
      return;
    case MAX:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, maxNaN(v128.load(a + o), v128.load(b + o)));
      return;
    case LT:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.lt(v128.load(a + o), v128.load(b + o)));
      return;
    case LE:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.le(v128.load(a + o), v128.load(b + o)));
      return;
    case GT:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.gt(v128.load(a + o), v128.load(b + o)));
      return;
    case GE:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.ge(v128.load(a + o), v128.load(b + o)));
      return;
    case EQ:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.eq(v128.load(a + o), v128.load(b + o)));
      return;
    case NE:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, f32x4.ne(v128.load(a + o), v128.load(b + o)));
      return;
    case AND:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, v128.and(v128.load(a + o), v128.load(b + o)));
      return;
    case OR:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, v128.or(v128.load(a + o), v128.load(b + o)));
      return;
    case WHERE:
      for (let o: usize = 0; o < end; o += 16) v128.store(dst + o, v128.bitselect(v128.load(b + o), v128.load(c + o), v128.load(a + o)));
      return;
  }
}

/** 1 where the mask holds, else 0 (a derivative: dy times it, as tfjs multiplies, so NaN · 0 stays NaN). */
// @ts-ignore: decorator
@inline function one(m: v128): v128 {
  return v128.and(m, f32x4.splat(1));
}

/** adj = g (the first contribution) or adj += g (later ones), at `adj + o`. */
// @ts-ignore: decorator
@inline function put(adj: usize, o: usize, g: v128, add: bool): void {
  v128.store(adj + o, add ? f32x4.add(v128.load(adj + o), g) : g);
}

/** Whether instruction k's adjoint already holds a contribution this chunk; marks it as holding one. */
// @ts-ignore: decorator
@inline function begin(written: usize, k: i32): bool {
  const w = load<u8>(written + k) != 0;
  store<u8>(written + k, 1);
  return w;
}

// @ts-ignore: decorator
@inline function differentiable(d: usize, k: i32): bool {
  return (field(d, k, 7) & 1) != 0;
}

/** Propagate instruction k's adjoint `g` to its differentiable arguments (the op chosen once, outside the loops). */
function backwardOp(d: usize, k: i32, loc: usize, aloc: usize, written: usize, evaluated: usize, nv: i32): void {
  const op = field(d, k, 0);
  const ia = field(d, k, 1);
  const ib = field(d, k, 2);
  const ic = field(d, k, 3);
  const end = <usize>nv << 4;
  const g = at(aloc, k);
  const y = at(loc, k);
  const a = at(loc, ia);
  const b = at(loc, ib);
  const da = differentiable(d, ia);
  const aa = at(aloc, ia);
  const db = op != WHERE && op != NEG && op != ABS && op != SQUARE && op != TIMES_SELF && op != POWC && op != SQRT && op != EXP && op != LOG && op != LOG1P && differentiable(d, ib);
  const ab = at(aloc, ib);
  switch (op) {
    case WHERE: {
      // a: condition, b: taken where it holds, c: elsewhere; the branch not taken gets exactly 0
      // (a branch no lane of the chunk takes was not evaluated: nothing goes to it, as a zero
      // adjoint gives exactly 0 through every op's derivative)
      const taken = load<u8>(evaluated + k) >> 1;
      if (differentiable(d, ib) && taken != NONE_HOLD) {
        const addB = begin(written, ib);
        for (let o: usize = 0; o < end; o += 16) put(ab, o, v128.and(v128.load(g + o), v128.load(a + o)), addB);
      }
      if (differentiable(d, ic) && taken != ALL_HOLD) {
        const ac = at(aloc, ic);
        const addC = begin(written, ic);
        for (let o: usize = 0; o < end; o += 16) put(ac, o, v128.andnot(v128.load(g + o), v128.load(a + o)), addC);
      }
      return;
    }
    case NEG: {
      const add = begin(written, ia);
      for (let o: usize = 0; o < end; o += 16) put(aa, o, f32x4.neg(v128.load(g + o)), add);
      return;
    }
    case ABS: {
      const add = begin(written, ia);
      // x·sign(x): sign(x), 0 at 0 and at NaN (as tfjs' sign)
      for (let o: usize = 0; o < end; o += 16) {
        const x = v128.load(a + o);
        const s = v128.or(v128.and(f32x4.gt(x, f32x4.splat(0)), f32x4.splat(1)), v128.and(f32x4.lt(x, f32x4.splat(0)), f32x4.splat(-1)));
        put(aa, o, f32x4.mul(v128.load(g + o), s), add);
      }
      return;
    }
    case SQUARE: {
      // 2x, clipped as the other derivatives (a zero adjoint gives 0 at ±∞)
      const add = begin(written, ia);
      for (let o: usize = 0; o < end; o += 16) put(aa, o, f32x4.mul(v128.load(g + o), clip(f32x4.mul(v128.load(a + o), f32x4.splat(2)))), add);
      return;
    }
    case TIMES_SELF: {
      // x·dy + x·dy (the product rule, each factor clipped as tfjs' mul does) = 2·(dy·clip(x)) exactly
      const add = begin(written, ia);
      for (let o: usize = 0; o < end; o += 16) {
        const t = f32x4.mul(v128.load(g + o), clip(v128.load(a + o)));
        put(aa, o, f32x4.add(t, t), add);
      }
      return;
    }
    case SQRT: {
      const add = begin(written, ia);
      for (let o: usize = 0; o < end; o += 16) {
        const yv = v128.load(y + o);
        put(aa, o, f32x4.mul(v128.load(g + o), clip(v128.and(f32x4.div(f32x4.splat(0.5), yv), f32x4.gt(yv, f32x4.splat(0))))), add);
      }
      return;
    }
    case EXP: {
      const add = begin(written, ia);
      for (let o: usize = 0; o < end; o += 16) put(aa, o, f32x4.mul(v128.load(g + o), clip(v128.load(y + o))), add);
      return;
    }
    case LOG: {
      const add = begin(written, ia);
      for (let o: usize = 0; o < end; o += 16) put(aa, o, f32x4.mul(v128.load(g + o), clip(f32x4.div(f32x4.splat(1), v128.load(a + o)))), add);
      return;
    }
    case LOG1P: {
      const add = begin(written, ia);
      for (let o: usize = 0; o < end; o += 16) put(aa, o, f32x4.mul(v128.load(g + o), clip(f32x4.div(f32x4.splat(1), f32x4.add(v128.load(a + o), f32x4.splat(1))))), add);
      return;
    }
    case ADD:
      if (da) {
        const add = begin(written, ia);
        for (let o: usize = 0; o < end; o += 16) put(aa, o, v128.load(g + o), add);
      }
      if (db) {
        const add = begin(written, ib);
        for (let o: usize = 0; o < end; o += 16) put(ab, o, v128.load(g + o), add);
      }
      return;
    case SUB:
      if (da) {
        const add = begin(written, ia);
        for (let o: usize = 0; o < end; o += 16) put(aa, o, v128.load(g + o), add);
      }
      if (db) {
        const add = begin(written, ib);
        for (let o: usize = 0; o < end; o += 16) put(ab, o, f32x4.neg(v128.load(g + o)), add);
      }
      return;
    case MUL:
      if (da) {
        const add = begin(written, ia);
        for (let o: usize = 0; o < end; o += 16) put(aa, o, f32x4.mul(v128.load(g + o), clip(v128.load(b + o))), add);
      }
      if (db) {
        const add = begin(written, ib);
        for (let o: usize = 0; o < end; o += 16) put(ab, o, f32x4.mul(v128.load(g + o), clip(v128.load(a + o))), add);
      }
      return;
    case DIV:
      if (da) {
        const add = begin(written, ia);
        for (let o: usize = 0; o < end; o += 16) put(aa, o, f32x4.mul(v128.load(g + o), clip(f32x4.div(f32x4.splat(1), v128.load(b + o)))), add);
      }
      if (db) {
        const add = begin(written, ib);
        for (let o: usize = 0; o < end; o += 16) put(ab, o, f32x4.mul(v128.load(g + o), clip(f32x4.neg(f32x4.div(v128.load(y + o), v128.load(b + o))))), add);
      }
      return;
    case POW:
      // d/da: b·a^(b−1), 0 where b = 0, or a = 0 with b < 1
      if (da) {
        const add = begin(written, ia);
        for (let o: usize = 0; o < end; o += 16) {
          const x = v128.load(a + o);
          const z = v128.load(b + o);
          const zero = v128.or(f32x4.eq(z, f32x4.splat(0)), v128.and(f32x4.eq(x, f32x4.splat(0)), f32x4.lt(z, f32x4.splat(1))));
          put(aa, o, f32x4.mul(v128.load(g + o), clip(v128.andnot(f32x4.mul(z, pow4(x, f32x4.sub(z, f32x4.splat(1)))), zero))), add);
        }
      }
      // d/db: a^b·ln a where a > 0, else 0
      if (db) {
        const add = begin(written, ib);
        for (let o: usize = 0; o < end; o += 16) {
          const x = v128.load(a + o);
          const pos = f32x4.gt(x, f32x4.splat(0));
          const lx = log4(v128.bitselect(x, f32x4.splat(1), pos));
          put(ab, o, f32x4.mul(v128.load(g + o), clip(v128.and(f32x4.mul(v128.load(y + o), lx), pos))), add);
        }
      }
      return;
    case POWC: {
      // d/dx b^x = b^x · ln b (the base is a constant: no other derivative)
      const lb = f32x4.splat(reinterpret<f32>(field(d, k, 4)));
      const add = begin(written, ib);
      for (let o: usize = 0; o < end; o += 16) put(ab, o, f32x4.mul(v128.load(g + o), clip(f32x4.mul(v128.load(y + o), lb))), add);
      return;
    }
    case MIN:
      // to a where a ≤ b, to b where a > b
      if (da) {
        const add = begin(written, ia);
        for (let o: usize = 0; o < end; o += 16) put(aa, o, f32x4.mul(v128.load(g + o), one(f32x4.le(v128.load(a + o), v128.load(b + o)))), add);
      }
      if (db) {
        const add = begin(written, ib);
        for (let o: usize = 0; o < end; o += 16) put(ab, o, f32x4.mul(v128.load(g + o), one(f32x4.gt(v128.load(a + o), v128.load(b + o)))), add);
      }
      return;
    case MAX:
      // to a where a ≥ b, to b where a < b
      if (da) {
        const add = begin(written, ia);
        for (let o: usize = 0; o < end; o += 16) put(aa, o, f32x4.mul(v128.load(g + o), one(f32x4.ge(v128.load(a + o), v128.load(b + o)))), add);
      }
      if (db) {
        const add = begin(written, ib);
        for (let o: usize = 0; o < end; o += 16) put(ab, o, f32x4.mul(v128.load(g + o), one(f32x4.lt(v128.load(a + o), v128.load(b + o)))), add);
      }
      return;
  }
}

/** `evaluated` bits 1–2 of a WHERE: which branches this chunk needed (both, or the one every lane takes). */
const BOTH = 0;
const ALL_HOLD = 1;
const NONE_HOLD = 2;

/** The arguments an op reads (WHERE's three are handled on their own). */
// @ts-ignore: decorator
@inline function arity(op: i32): i32 {
  return op == NEG || op == ABS || op == SQRT || op == EXP || op == LOG || op == LOG1P || op == SQUARE || op == TIMES_SELF || op == NOT || op == ISNAN ? 1 : 2;
}

/**
 * Instruction k's value for this chunk, after those it reads (each once: `evaluated`). A WHERE
 * whose condition holds in every element of the chunk (or in none) evaluates only that branch
 * and is that branch's register; what only the other branch reads is not computed.
 */
function evaluate(d: usize, k: i32, i0: i32, n: i32, nv: i32, regs: usize, regBytes: usize, loc: usize, memo: usize, evaluated: usize): void {
  if (load<u8>(evaluated + k) != 0) return;
  const op = field(d, k, 0);
  const reg = regs + <usize>k * regBytes;
  let dst = reg;
  let mark: i32 = 1;
  if (op == SPLAT) return; // filled before the first chunk (never marked: it has no adjoint to take)
  if (op == FULL) {
    const src = <usize>field(d, k, 4) + (<usize>i0 << 2);
    if (n == <i32>(regBytes >> 2)) dst = src;
    else memory.copy(reg, src, <usize>n << 2);
  } else if (op == BCAST) {
    const src = <usize>field(d, k, 4);
    const inner = field(d, k, 5);
    const size = field(d, k, 6);
    let q = i0 / inner;
    let r = i0 - q * inner;
    q = q % size;
    let x = load<f32>(src + (<usize>q << 2));
    const m = memo + (<usize>k << 2);
    if (r + n <= inner) {
      // one value over the whole chunk (e.g. a keypoint weight over its map); still there
      // when an earlier chunk splatted the same entry
      if (load<i32>(m) != q + 1) {
        const v = f32x4.splat(x);
        for (let v4: usize = 0; v4 < (regBytes >> 4); v4++) v128.store(reg + (v4 << 4), v);
        store<i32>(m, q + 1);
      }
    } else if (inner == 1 && q + ((n + 3) & ~3) <= size) {
      // consecutive values (no repeat within the chunk, whole vectors inside the buffer): read in place
      store<i32>(m, 0);
      dst = src + (<usize>q << 2);
    } else if (inner == 2 && r == 0 && q + ((n + 1) >> 1) <= size) {
      // each value twice (e.g. a keypoint's weight over its two coordinates): two values a vector
      store<i32>(m, 0);
      const from = src + (<usize>q << 2);
      const pairs = n >> 1;
      let j = 0;
      for (; j + 2 <= pairs; j += 2) {
        const v = v128.load64_zero(from + (<usize>j << 2));
        v128.store(reg + (<usize>j << 3), i32x4.shuffle(v, v, 0, 0, 1, 1));
      }
      for (; j < (n + 1) >> 1; j++) {
        const x2 = load<f32>(from + (<usize>j << 2));
        store<f32>(reg + (<usize>j << 3), x2);
        store<f32>(reg + (<usize>j << 3) + 4, x2);
      }
    } else {
      store<i32>(m, 0);
      for (let j = 0; j < n; j++) {
        store<f32>(reg + (<usize>j << 2), x);
        if (++r == inner) {
          r = 0;
          if (++q == size) q = 0;
          x = load<f32>(src + (<usize>q << 2));
        }
      }
    }
  } else if (op == WHERE) {
    const ic = field(d, k, 1);
    const ib = field(d, k, 2);
    const ie = field(d, k, 3);
    evaluate(d, ic, i0, n, nv, regs, regBytes, loc, memo, evaluated);
    // the condition over the chunk's elements (lanes past n are not elements)
    const c = at(loc, ic);
    let all = i32x4.splat(-1);
    let some = i32x4.splat(0);
    for (let v4 = 0; v4 < nv; v4++) {
      let m = v128.load(c + (<usize>v4 << 4));
      const live = v4 == nv - 1 && (n & 3) != 0 ? i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n & 3)) : i32x4.splat(-1);
      all = v128.and(all, v128.or(m, v128.not(live)));
      some = v128.or(some, v128.and(m, live));
    }
    if (i32x4.all_true(all)) {
      evaluate(d, ib, i0, n, nv, regs, regBytes, loc, memo, evaluated);
      dst = at(loc, ib);
      mark = 1 | (ALL_HOLD << 1);
    } else if (!v128.any_true(some)) {
      evaluate(d, ie, i0, n, nv, regs, regBytes, loc, memo, evaluated);
      dst = at(loc, ie);
      mark = 1 | (NONE_HOLD << 1);
    } else {
      evaluate(d, ib, i0, n, nv, regs, regBytes, loc, memo, evaluated);
      evaluate(d, ie, i0, n, nv, regs, regBytes, loc, memo, evaluated);
      forwardOp(WHERE, reg, c, at(loc, ib), at(loc, ie), nv);
      mark = 1 | (BOTH << 1);
    }
  } else if (op == POWC) {
    const ix = field(d, k, 2);
    evaluate(d, ix, i0, n, nv, regs, regBytes, loc, memo, evaluated);
    const lb = f32x4.splat(reinterpret<f32>(field(d, k, 4)));
    const x = at(loc, ix);
    for (let o: usize = 0; o < (<usize>nv << 4); o += 16) v128.store(reg + o, exp4(f32x4.mul(v128.load(x + o), lb)));
  } else {
    const ia = field(d, k, 1);
    const ib = field(d, k, 2);
    evaluate(d, ia, i0, n, nv, regs, regBytes, loc, memo, evaluated);
    if (arity(op) == 2) evaluate(d, ib, i0, n, nv, regs, regBytes, loc, memo, evaluated);
    forwardOp(op, reg, at(loc, ia), at(loc, ib), 0, nv);
  }
  store<i32>(loc + (<usize>k << 2), <i32>dst);
  store<u8>(evaluated + k, <u8>mark);
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

/**
 * A weight of the squared-difference form at element i: kind 0 (none: 1, exact under ×), 1 (a
 * constant, f32 bits in p), 2 (a broadcast: entry ⌊i / inner⌋ mod size of the floats at p).
 * Also the element where its value next changes (`next`).
 */
// @ts-ignore: decorator
@inline function weightAt(w: usize, i: i32): f32 {
  const kind = load<i32>(w);
  if (kind == 0) return 1;
  if (kind == 1) return reinterpret<f32>(load<i32>(w, 4));
  const inner = load<i32>(w, 8);
  return load<f32>(<usize>load<i32>(w, 4) + (<usize>((i / inner) % load<i32>(w, 12)) << 2));
}
// @ts-ignore: decorator
@inline function weightNext(w: usize, i: i32, end: i32): i32 {
  if (load<i32>(w) != 2) return end;
  const inner = load<i32>(w, 8);
  return min(end, (i / inner + 1) * inner);
}

/** All ones in the first `left` lanes (left ≤ 4), zeros after. */
// @ts-ignore: decorator
@inline function firstLanes(left: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(left));
}

/** a·wa − b·wb at byte offset o (wa = wb = 1: a − b, the same value). */
// @ts-ignore: decorator
@inline function residual(a: usize, b: usize, o: usize, va: v128, vb: v128, form: i32): v128 {
  if (form == PLAIN) return f32x4.sub(v128.load(a + o), v128.load(b + o));
  if (form == SHARED) return f32x4.mul(f32x4.sub(v128.load(a + o), v128.load(b + o)), va);
  return f32x4.sub(f32x4.mul(v128.load(a + o), va), f32x4.mul(v128.load(b + o), vb));
}
/** How wsqRange forms the residual: a − b (no weights), (a − b)·w (one shared weight), a·wa − b·wb. */
const PLAIN = 0;
const SHARED = 1;
const SIDES = 2;
/**
 * The form for weights wa, wb: one shared weight w is factored out, (a − b)·w, equal to
 * a·w − b·w up to rounding (measured faster than one multiplication fewer explains; likely
 * subnormal products) — only for a finite w of magnitude ≥ 2⁻⁶⁴, where no overflow of a − b
 * can make a finite a·w − b·w infinite after squaring.
 */
// @ts-ignore: decorator
@inline function residualForm(wa: f32, wb: f32): i32 {
  if (wa == 1 && wb == 1) return PLAIN;
  const m = abs(wa);
  return wa == wb && m >= <f32>5.421010862427522e-20 && m < Infinity ? SHARED : SIDES;
}

/** The gradients at byte offset o: ga = 2·(gc·clip(d))·clip(wa), gb = −(same)·clip(wb). */
// @ts-ignore: decorator
@inline function residualGrad(ga: usize, gb: usize, o: usize, dv: v128, gc: v128, ca: v128, cb: v128): void {
  const t = f32x4.mul(gc, clip(dv));
  const ad = f32x4.add(t, t);
  if (ga) v128.store(ga + o, f32x4.mul(ad, ca));
  if (gb) v128.store(gb + o, f32x4.mul(f32x4.neg(ad), cb));
}

/**
 * Σ over n elements of ((a·wa − b·wb)·(a·wa − b·wb))·wc (weights constant over the range), with
 * the interpreter's per-element ops (a shared weight factored out: residualForm), so every term
 * and gradient is the one its program gives, up to rounding;
 * with gradients (grad): ga = 2·((seed·clip(wc))·clip(d))·clip(wa), gb = −(same)·clip(wb).
 * float32 sums over blocks of 64, float64 across blocks.
 */
function wsqRange(a: usize, b: usize, ga: usize, gb: usize, n: i32, wa: f32, wb: f32, wc: f32, seed: f32, grad: bool): v128 {
  const va = f32x4.splat(wa);
  const vb = f32x4.splat(wb);
  const vc = f32x4.splat(wc);
  const gc = f32x4.mul(f32x4.splat(seed), clip(vc));
  const ca = clip(va);
  const cb = clip(vb);
  let acc = f64x2.splat(0);
  let i = 0;
  const form = residualForm(wa, wb);
  // separate loops: a branch inside one costs more than its arithmetic
  if (!grad && form == PLAIN) {
    // no weight on either side: the same values without the two exact × 1
    for (; i + 4 <= n; ) {
      let block = f32x4.splat(0);
      const end = min(n & ~3, i + 64);
      for (; i < end; i += 4) {
        const dv = residual(a, b, <usize>i << 2, va, vb, PLAIN);
        block = f32x4.add(block, f32x4.mul(f32x4.mul(dv, dv), vc));
      }
      acc = addWide(acc, block);
    }
  } else if (!grad && form == SHARED) {
    for (; i + 4 <= n; ) {
      let block = f32x4.splat(0);
      const end = min(n & ~3, i + 64);
      for (; i < end; i += 4) {
        const dv = residual(a, b, <usize>i << 2, va, vb, SHARED);
        block = f32x4.add(block, f32x4.mul(f32x4.mul(dv, dv), vc));
      }
      acc = addWide(acc, block);
    }
  } else if (!grad) {
    for (; i + 4 <= n; ) {
      let block = f32x4.splat(0);
      const end = min(n & ~3, i + 64);
      for (; i < end; i += 4) {
        const dv = residual(a, b, <usize>i << 2, va, vb, SIDES);
        block = f32x4.add(block, f32x4.mul(f32x4.mul(dv, dv), vc));
      }
      acc = addWide(acc, block);
    }
  } else {
    // with gradients: four vectors a step, four accumulators
    for (; i + 16 <= n; ) {
      let s0 = f32x4.splat(0);
      let s1 = f32x4.splat(0);
      let s2 = f32x4.splat(0);
      let s3 = f32x4.splat(0);
      const end = min(n & ~15, i + 64);
      for (; i < end; i += 16) {
        const o = <usize>i << 2;
        const d0 = residual(a, b, o, va, vb, form);
        const d1 = residual(a, b, o + 16, va, vb, form);
        const d2 = residual(a, b, o + 32, va, vb, form);
        const d3 = residual(a, b, o + 48, va, vb, form);
        s0 = f32x4.add(s0, f32x4.mul(f32x4.mul(d0, d0), vc));
        s1 = f32x4.add(s1, f32x4.mul(f32x4.mul(d1, d1), vc));
        s2 = f32x4.add(s2, f32x4.mul(f32x4.mul(d2, d2), vc));
        s3 = f32x4.add(s3, f32x4.mul(f32x4.mul(d3, d3), vc));
        residualGrad(ga, gb, o, d0, gc, ca, cb);
        residualGrad(ga, gb, o + 16, d1, gc, ca, cb);
        residualGrad(ga, gb, o + 32, d2, gc, ca, cb);
        residualGrad(ga, gb, o + 48, d3, gc, ca, cb);
      }
      acc = addWide(acc, f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
    }
  }
  for (; i < n; i += 4) {
    const left = min(4, n - i);
    const o = <usize>i << 2;
    const x = loadTail4(a + o, left);
    const y = loadTail4(b + o, left);
    const dv = form == SHARED ? f32x4.mul(f32x4.sub(x, y), va) : f32x4.sub(f32x4.mul(x, va), f32x4.mul(y, vb));
    acc = addWide(acc, v128.and(f32x4.mul(f32x4.mul(dv, dv), vc), firstLanes(left)));
    if (grad) {
      const t = f32x4.mul(gc, clip(dv));
      const ad = f32x4.add(t, t);
      if (ga) storeTail4(ga + o, f32x4.mul(ad, ca), left);
      if (gb) storeTail4(gb + o, f32x4.mul(f32x4.neg(ad), cb), left);
    }
  }
  return acc;
}

/** Four floats at p, or the first `left` (< 4) of them. */
// @ts-ignore: decorator
@inline function loadTail4(p: usize, left: i32): v128 {
  return left >= 4 ? v128.load(p) : loadTail(p, left);
}
/** Store four lanes at p, or the first `left` (< 4). */
// @ts-ignore: decorator
@inline function storeTail4(p: usize, v: v128, left: i32): void {
  if (left >= 4) v128.store(p, v);
  else storeTail(p, v, left);
}

/**
 * The program ((a·wa − b·wb)^2)·wc in one pass (the compiler in src/kernels/expr.ts recognises it
 * from the instructions): parameter words a, b, ga, gb (0: no gradient), then wa, wb, wc as
 * (kind, p, inner, size). Blocks of L elements as the interpreter; in the gradient pass (seeds)
 * a block whose upstream gradient is 0 gets zeros.
 */
function wsq(N: i32, L: i32, nOut: i32, out: usize, scale: f32, withGrad: bool, seeds: usize, q: usize): void {
  const a = <usize>load<i32>(q);
  const b = <usize>load<i32>(q, 4);
  const ga = withGrad ? <usize>load<i32>(q, 8) : 0;
  const gb = withGrad ? <usize>load<i32>(q, 12) : 0;
  const wa = q + 16;
  const wb = q + 32;
  const wc = q + 48;
  for (let o = 0; o < nOut; o++) {
    const i0 = o * L;
    const end = min(N, i0 + L);
    let seed = scale;
    if (seeds) {
      seed = load<f32>(seeds + (<usize>o << 2)) * scale;
      if (seed == 0) {
        if (ga) memory.fill(ga + (<usize>i0 << 2), 0, <usize>(end - i0) << 2);
        if (gb) memory.fill(gb + (<usize>i0 << 2), 0, <usize>(end - i0) << 2);
        continue;
      }
    }
    let acc = f64x2.splat(0);
    for (let i = i0; i < end; ) {
      const next = weightNext(wc, i, weightNext(wb, i, weightNext(wa, i, end)));
      const off = <usize>i << 2;
      acc = f64x2.add(
        acc,
        wsqRange(a + off, b + off, ga ? ga + off : 0, gb ? gb + off : 0, next - i, weightAt(wa, i), weightAt(wb, i), weightAt(wc, i), seed, withGrad),
      );
      i = next;
    }
    if (!seeds) store<f32>(out + (<usize>o << 2), <f32>(total2(acc) * <f64>scale));
  }
}

/** Run the program in descriptor `d`: out[o] = scale·Σ over block o; the gradients (local, of out[o]) when withGrad. */
export function expr(d: usize): void {
  if (word(d, FAST) == 1) {
    wsq(word(d, 0), word(d, 1), word(d, 2), <usize>word(d, 7), load<f32>(d + (8 << 2)), word(d, 9) != 0, <usize>word(d, 16), <usize>word(d, 18));
    return;
  }
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
  const aloc = <usize>word(d, 13);
  const written = <usize>word(d, 14);
  const memo = <usize>word(d, 15);
  const seeds = <usize>word(d, 16);
  const evaluated = <usize>word(d, EVALUATED);
  for (let k = 0; k < nInstr; k++) store<i32>(memo + (<usize>k << 2), 0);
  const regBytes = <usize>CH << 2;
  // constants: their whole registers, once (whichever chunk first needs them)
  for (let k = 0; k < nInstr; k++)
    if (field(d, k, 0) == SPLAT) {
      const v = v128.splat<i32>(field(d, k, 4));
      const reg = regs + <usize>k * regBytes;
      for (let v4 = 0; v4 < (CH >> 2); v4++) v128.store(reg + (<usize>v4 << 4), v);
      store<i32>(loc + (<usize>k << 2), <i32>reg);
    }
  for (let o = 0; o < nOut; o++) store<f64>(acc + (<usize>o << 3), 0);
  for (let i0 = 0; i0 < N; i0 += CH) {
    const n = min(CH, N - i0);
    const nv = (n + 3) >> 2;
    if (seeds) {
      // the gradient pass: a chunk whose blocks all have upstream gradient 0 gets zeros, unevaluated
      let any = false;
      for (let o = i0 / L, last = (i0 + n - 1) / L; o <= last && !any; o++) any = load<f32>(seeds + (<usize>o << 2)) != 0;
      if (!any) {
        for (let k = 0; k <= root; k++) {
          const gp = <usize>field(d, k, 3);
          if (field(d, k, 0) == FULL && gp) memory.fill(gp + (<usize>i0 << 2), 0, <usize>n << 2);
        }
        for (let k = 0; k < nInstr; k++) store<i32>(memo + (<usize>k << 2), 0);
        continue;
      }
    }
    for (let k = 0; k < nInstr; k++) store<u8>(evaluated + k, 0);
    evaluate(d, root, i0, n, nv, regs, regBytes, loc, memo, evaluated);
    // the root's sums, block by block (not in the gradient pass)
    const y = at(loc, root);
    for (let j = 0; j < n && !seeds; ) {
      const o = (i0 + j) / L;
      const end = min(n, (o + 1) * L - i0);
      const a = acc + (<usize>o << 3);
      store<f64>(a, load<f64>(a) + sumRange(y, j, end));
      j = end;
    }
    if (!withGrad) continue;
    // adjoints: a full-chunk prediction's goes straight into its gradient buffer; the first
    // contribution to an adjoint stores, later ones add (`written`), so nothing is zeroed first
    for (let k = 0; k <= root; k++) {
      store<u8>(written + k, 0);
      let p = adj + <usize>k * regBytes;
      if (field(d, k, 0) == FULL && n == CH) {
        const gp = <usize>field(d, k, 3);
        if (gp) p = gp + (<usize>i0 << 2);
      }
      store<i32>(aloc + (<usize>k << 2), <i32>p);
    }
    const g = at(aloc, root);
    if (!seeds) {
      const seed = f32x4.splat(scale);
      for (let v4 = 0; v4 < nv; v4++) v128.store(g + (<usize>v4 << 4), seed);
    } else
      for (let j = 0; j < n; ) {
        // each block's upstream gradient times the scale
        const o = (i0 + j) / L;
        const end = min(n, (o + 1) * L - i0);
        const v = load<f32>(seeds + (<usize>o << 2)) * scale;
        for (; j < end; j++) store<f32>(g + (<usize>j << 2), v);
      }
    store<u8>(written + root, 1);
    for (let k = root; k >= 0; k--) {
      if (!differentiable(d, k)) continue;
      const op = field(d, k, 0);
      const has = load<u8>(written + k) != 0;
      if (op == FULL) {
        const gp = <usize>field(d, k, 3);
        if (!gp) continue;
        const dst = gp + (<usize>i0 << 2);
        // no contribution reached it: a zero gradient; a partial chunk's adjoint is copied out
        if (!has) memory.fill(dst, 0, <usize>n << 2);
        else if (at(aloc, k) != dst) memory.copy(dst, at(aloc, k), <usize>n << 2);
      } else if (has && op != SPLAT && op != BCAST) backwardOp(d, k, loc, aloc, written, evaluated, nv);
    }
  }
  if (!seeds) for (let o = 0; o < nOut; o++) store<f32>(out + (<usize>o << 2), <f32>(load<f64>(acc + (<usize>o << 3)) * <f64>scale));
}
