/**
 * fast-check generators of expressions over three inputs with named axes:
 * x (batch, keypoints), y (keypoints), z (batch). Valid expressions are printed from random
 * trees; invalid ones are valid ones with one mistake put in at a known column.
 */
import fc from 'fast-check';
import { ALL_FUNCTION_NAMES } from '../../src/expr/functions.js';

export const AXES = ['batch', 'pairs', 'keypoints', 'coords', 'height', 'width'] as const;
export const INPUTS: Record<string, readonly string[]> = { x: ['batch', 'keypoints'], y: ['keypoints'], z: ['batch'] };
export const ENV = { axes: AXES, inputs: INPUTS };
export const B = 2;
export const K = 3;

const leaf: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('x', 'y', 'z') },
  // constants away from 0, so that a random division by a constant stays finite
  { weight: 1, arbitrary: fc.double({ min: -3, max: 3, noNaN: true }).map((v) => (Math.round(v * 100) / 100 || 0.5).toString()) },
);

const UNARY = ['abs', 'sign', 'sqrt', 'square', 'exp', 'log', 'log1p', 'relu', 'neg'];
const BINARY = ['+', '-', '*', '/', '^', 'min', 'max'];
const CMP = ['<', '<=', '>', '>=', '==', '!='];

/** A random valid numeric expression; `depth` bounds its nesting. */
export const validExpr = (depth = 4): fc.Arbitrary<string> => {
  const { e } = fc.letrec<{ e: string; c: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.tuple(fc.constantFrom(...UNARY), tie('e')).map(([f, a]) => (f === 'neg' ? `-(${a})` : `${f}(${a})`)),
      fc
        .tuple(fc.constantFrom(...BINARY), tie('e'), tie('e'))
        .map(([op, a, b]) => (op === 'min' || op === 'max' ? `${op}(${a}, ${b})` : `(${a}) ${op} (${b})`)),
      fc.tuple(tie('c'), tie('e'), tie('e')).map(([c, a, b]) => `where(${c}, ${a}, ${b})`),
      fc.tuple(fc.constantFrom('sum', 'mean', 'max', 'norm'), tie('e')).map(([f, a]) => `${f}(x + (${a}), keypoints)`),
      tie('e').map((a) => `topk_mean(x * (${a}), keypoints, 2)`),
      tie('e').map((a) => `take(y + (${a}), keypoints, [2, 0, 1])`),
    ),
    c: fc.oneof(
      fc.tuple(fc.constantFrom(...CMP), tie('e'), tie('e')).map(([op, a, b]) => `(${a}) ${op} (${b})`),
      fc.tuple(fc.constantFrom('and', 'or'), tie('c'), tie('c')).map(([f, a, b]) => `${f}(${a}, ${b})`),
      tie('c').map((a) => `not(${a})`),
    ),
  }));
  return fc.integer({ min: 1, max: depth }).chain((d) => e.filter((s) => s.length < 60 * d));
};

/** A mistake put into a valid expression, with the column it must be reported at (when the mistake fixes one). */
export interface Broken {
  readonly source: string;
  readonly column?: number;
  readonly kind: string;
}

const nameStarts = (src: string, name: string): number[] => [...src.matchAll(new RegExp(`\\b${name}\\b(?!\\s*\\()`, 'g'))].map((m) => m.index!);

export const brokenExpr: fc.Arbitrary<Broken> = fc.tuple(validExpr(3), fc.nat(), fc.constantFrom('$', '#', '@', '?')).chain(([src, at, bad]) =>
  fc
    .constantFrom<Broken[]>(
      [
        // a stray character between tokens (not inside `!=`): reported exactly there
        (() => {
          const gaps = [0, ...[...src].flatMap((c, j) => (' (,'.includes(c) ? [j + 1] : [])), src.length];
          const i = gaps[at % gaps.length];
          return { source: src.slice(0, i) + bad + src.slice(i), column: i + 1, kind: 'character' };
        })(),
        // an unknown name (misspelled input) at the first input's place
        ...['x', 'y', 'z'].flatMap((n) => {
          const starts = nameStarts(src, n);
          return starts.length ? [{ source: src.slice(0, starts[0]) + `${n}q` + src.slice(starts[0] + 1), column: starts[0] + 1, kind: 'name' }] : [];
        }),
        // an unknown function
        { source: `lgo(${src})`, column: 1, kind: 'function' },
        // an operator with nothing after it
        { source: `${src} *`, column: src.length + 3, kind: 'truncated' },
        // an unclosed parenthesis
        { source: `(${src}`, column: src.length + 2, kind: 'unclosed' },
        // a reduction over an axis the value lacks
        { source: `sum(z + 1, keypoints)`, column: 12, kind: 'axis' },
        // a condition where a number belongs
        { source: `(${src}) + (x < 1)`, kind: 'type' },
      ].filter((b) => b.kind !== 'function' || !ALL_FUNCTION_NAMES.includes('lgo')),
    )
    .chain((xs) => fc.constantFrom(...xs)),
);
