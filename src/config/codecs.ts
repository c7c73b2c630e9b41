import { either } from 'fp-ts';
import * as t from 'io-ts';
import { suggestion } from './closest.js';

/** A finite number (YAML `.nan`/`.inf` and strings are rejected). */
export const finite = new t.Type<number, number, unknown>(
  'a finite number',
  (u): u is number => typeof u === 'number' && Number.isFinite(u),
  (u, c) => (typeof u === 'number' && Number.isFinite(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/** A number in [lo, hi]. */
export const inRange = (lo: number, hi: number) =>
  new t.Type<number, number, unknown>(
    `a number in [${lo}, ${hi}]`,
    (u): u is number => typeof u === 'number' && u >= lo && u <= hi,
    (u, c) => (typeof u === 'number' && u >= lo && u <= hi ? t.success(u) : t.failure(u, c)),
    t.identity,
  );

export const positive = new t.Type<number, number, unknown>(
  'a positive number',
  (u): u is number => typeof u === 'number' && Number.isFinite(u) && u > 0,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u > 0 ? t.success(u) : t.failure(u, c)),
  t.identity,
);

export const nonNegativeInt = new t.Type<number, number, unknown>(
  'a non-negative integer',
  (u): u is number => Number.isInteger(u) && (u as number) >= 0,
  (u, c) => (Number.isInteger(u) && (u as number) >= 0 ? t.success(u as number) : t.failure(u, c)),
  t.identity,
);

/** Epsilon: one number for every element, or one number per keypoint. */
export const Epsilon = t.union([finite, t.array(finite)], 'a number or a list of numbers (one per keypoint)');
export type Epsilon = t.TypeOf<typeof Epsilon>;

/** A literal string from a fixed list, whose error names the closest choice. */
export const oneOf = <L extends string>(choices: readonly L[], what = 'one of') =>
  new t.Type<L, L, unknown>(
    `${what} ${choices.map((c) => `'${c}'`).join(' | ')}`,
    (u): u is L => typeof u === 'string' && (choices as readonly string[]).includes(u),
    (u, c) =>
      typeof u === 'string' && (choices as readonly string[]).includes(u)
        ? t.success(u as L)
        : t.failure(u, c, typeof u === 'string' ? `unknown '${u}'${suggestion(u, choices)}` : undefined),
    t.identity,
  );

type Props = t.Props;
type Defaults<P extends Props> = { [K in keyof P]?: t.TypeOf<P[K]> };

/**
 * What a caller may write for a `strict` codec (as a config writes it: each codec's encoded
 * type): keys without a default required, keys with one optional. Type-level only.
 */
export type StrictInput<P extends Props, D> = { readonly [K in Exclude<keyof P, keyof D>]: t.OutputOf<P[K]> } & {
  readonly [K in keyof P & keyof D]?: t.OutputOf<P[K]>;
};

/** A `strict` codec: decodes unknown input to `TypeOf`, and says what input it accepts (`_input`, type-level only). */
export interface StrictType<P extends Props, D> extends t.Type<t.TypeOf<t.TypeC<P>>, t.OutputOf<t.TypeC<P>>, unknown> {
  readonly _input?: StrictInput<P, D>;
}

/** The parameters a codec accepts: a `strict` codec's input, else its encoded type. */
export type InputOfCodec<C> = C extends { readonly _input?: infer I } ? (unknown extends I ? t.OutputOf<C & t.Any> : I) : never;

/**
 * An object codec with optional defaults whose unknown keys are errors that name the
 * closest known key. Keys with a default may be omitted; keys without one are required
 * unless their codec accepts `undefined`.
 */
export const strict = <P extends Props, D extends Defaults<P> = {}>(name: string, props: P, defaults: D = {} as D): StrictType<P, D> => {
  const inner = t.type(props);
  const known = Object.keys(props);
  return new t.Type<t.TypeOf<typeof inner>, t.OutputOf<typeof inner>, unknown>(
    name,
    inner.is,
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c);
      const errors: t.Errors = [];
      for (const k of Object.keys(u)) {
        if (!known.includes(k)) {
          errors.push({
            value: (u as Record<string, unknown>)[k],
            context: [...c, { key: k, type: t.never, actual: (u as Record<string, unknown>)[k] }],
            message: `unknown key '${k}'${suggestion(k, known)}`,
          });
        }
      }
      const filled: Record<string, unknown> = { ...defaults, ...(u as object) };
      for (const k of Object.keys(filled)) if (filled[k] === undefined && k in defaults) filled[k] = (defaults as Record<string, unknown>)[k];
      const res = inner.validate(filled, c);
      if (either.isLeft(res)) errors.push(...res.left);
      return errors.length > 0 || either.isLeft(res) ? t.failures(errors) : t.success(res.right);
    },
    inner.encode,
  );
};

/** `a | null`, named so errors read well. */
export const nullable = <C extends t.Mixed>(c: C) => t.union([c, t.null], `${c.name} or null`);
