/**
 * fast-check arbitraries derived from io-ts codecs, as io-ts's own property tests derive
 * them: walk the codec and build an arbitrary per node.
 *
 * - io-ts's structural codecs carry their structure (`_tag`: unions, arrays, literals,
 *   refinements, t.type / t.partial props) and are walked directly.
 * - poseloss's `strict` objects (loss parameters, steps, anneal_weight) hide their props; they
 *   are read from the codec itself: its unknown-key message lists the keys it knows, and the
 *   error for a bad value at a key carries that key's codec in its context. Keys with a
 *   default are optional in the arbitrary; the others are required.
 * - leaf codecs made with `new t.Type` (finite, inRange, positive, oneOf, keypoint index,
 *   components_to_keep) are recognised by their names — a new leaf without a rule here
 *   throws, so the table cannot silently drift from the codecs.
 *
 * `invalidFor` gives values a codec rejects: a fixed pool of wrong types and out-of-range
 * numbers filtered through the codec itself.
 */

import fc from 'fast-check';
import { either } from 'fp-ts';
import * as t from 'io-ts';

export type AnyCodec = t.Type<any, any, unknown>;

interface Tagged {
  readonly _tag?: string;
  readonly types?: AnyCodec[];
  readonly type?: AnyCodec;
  readonly codomain?: AnyCodec;
  readonly value?: unknown;
  readonly props?: Record<string, AnyCodec>;
  readonly predicate?: (u: unknown) => boolean;
}
const tagOf = (c: AnyCodec): Tagged => c as unknown as Tagged;

/** A key no codec knows and that is not close to any known key (so the message lists them all). */
const PROBE = 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz';
const SENTINEL = Symbol('sentinel');

export interface StrictShape {
  readonly keys: readonly string[];
  readonly props: Readonly<Record<string, AnyCodec>>;
  /** Keys without a default. */
  readonly required: readonly string[];
}

const shapes = new WeakMap<AnyCodec, StrictShape | null>();

/** The props of a `strict` codec, read from the codec's own answers; null for other codecs. */
export const strictShape = (c: AnyCodec): StrictShape | null => {
  if (shapes.has(c)) return shapes.get(c)!;
  let shape: StrictShape | null = null;
  if (tagOf(c)._tag === undefined) {
    const probe = c.decode({ [PROBE]: 0 });
    const msg = either.isLeft(probe) ? probe.left.find((e) => e.message?.startsWith(`unknown key '${PROBE}'`))?.message : undefined;
    const known = msg?.match(/\(known: (.*)\)$/);
    if (known) {
      const keys = known[1] === '' ? [] : known[1].split(', ');
      const props: Record<string, AnyCodec> = {};
      for (const k of keys) {
        const r = c.decode({ [k]: SENTINEL });
        const e = either.isLeft(r) ? r.left.find((x) => x.context[1]?.key === k) : undefined;
        props[k] = (e?.context[1].type as AnyCodec | undefined) ?? t.unknown;
      }
      const empty = c.decode({});
      const required = either.isLeft(empty) ? keys.filter((k) => empty.left.some((e) => e.context[1]?.key === k)) : [];
      shape = { keys, props, required };
    }
  }
  shapes.set(c, shape);
  return shape;
};

const num = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/** Leaf codecs by name (the names their errors print). */
const LEAVES: readonly [RegExp, (m: RegExpMatchArray) => fc.Arbitrary<unknown>][] = [
  [/^a finite number$/, () => num(-1e3, 1e3)],
  [/^a number in \[(-?[\d.]+), (-?[\d.]+)\]$/, (m) => num(Number(m[1]), Number(m[2]))],
  [/^a positive number$/, () => num(1e-3, 1e3)],
  [/^a non-negative integer$/, () => fc.nat(100)],
  [/^a positive integer$/, () => fc.integer({ min: 1, max: 512 })],
  [/^an integer ≥ 0$/, () => fc.nat(50)],
  [/^a number ≥ 0$/, () => num(0, 1e3)],
  [/^a keypoint index \(integer ≥ 0\)$/, () => fc.nat(16)],
  [
    /^an integer ≥ 1, a fraction in \(0, 1\], or null \(keep all\)$/,
    () =>
      fc.oneof(
        fc.integer({ min: 1, max: 10 }),
        num(0.01, 0.99),
        fc.constant(null),
        num(0.01, 1).map((f) => ({ fraction: f })),
      ),
  ],
  // oneOf: "<what> 'a' | 'b' | ..."
  [/^[^']*?('[^']*'(?: \| '[^']*')*)$/, (m) => fc.constantFrom(...[...m[1].matchAll(/'([^']*)'/g)].map((x) => x[1]))],
];

const byName = (c: AnyCodec): fc.Arbitrary<unknown> | undefined => {
  for (const [re, arb] of LEAVES) {
    const m = c.name.match(re);
    if (m) return arb(m);
  }
  return undefined;
};

/** An arbitrary of values the codec accepts. */
export const arbitraryFromCodec = (c: AnyCodec): fc.Arbitrary<unknown> => {
  const k = tagOf(c);
  switch (k._tag) {
    case 'UnionType':
      return fc.oneof(...k.types!.map(arbitraryFromCodec));
    case 'ArrayType':
      return fc.array(arbitraryFromCodec(k.type!), { maxLength: 5 });
    case 'LiteralType':
      return fc.constant(k.value);
    case 'NullType':
      return fc.constant(null);
    case 'StringType':
      return fc.string({ maxLength: 12 });
    case 'NumberType':
      return num(-1e3, 1e3);
    case 'BooleanType':
      return fc.boolean();
    case 'UnknownType':
      return fc.jsonValue({ maxDepth: 2 });
    case 'UnknownRecordType':
    case 'AnyDictionaryType':
      return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
    case 'DictionaryType':
      return fc.dictionary(fc.stringMatching(/^[a-z][a-z_]{0,6}$/), arbitraryFromCodec(k.codomain!), { maxKeys: 3 });
    case 'InterfaceType':
      return fc.record(Object.fromEntries(Object.entries(k.props!).map(([p, v]) => [p, arbitraryFromCodec(v)])));
    case 'PartialType':
      return fc.record(Object.fromEntries(Object.entries(k.props!).map(([p, v]) => [p, arbitraryFromCodec(v)])), { requiredKeys: [] });
    case 'RefinementType':
      return byName(c) ?? arbitraryFromCodec(k.type!).filter((u) => k.predicate!(u));
    case undefined: {
      const s = strictShape(c);
      if (s) return fc.record(Object.fromEntries(s.keys.map((p) => [p, arbitraryFromCodec(s.props[p])])), { requiredKeys: [...s.required] });
      const leaf = byName(c);
      if (leaf) return leaf;
      throw new Error(`arbitraryFromCodec: no rule for the codec '${c.name}'`);
    }
    default:
      throw new Error(`arbitraryFromCodec: no rule for ${k._tag} '${c.name}'`);
  }
};

/** Values of the wrong type. */
export const WRONG_TYPE: readonly unknown[] = ['abc', true, { x: 1 }, [{}], ['abc'], [true]];
/** Numbers outside every range the codecs use, and non-finite ones. */
export const OUT_OF_RANGE: readonly unknown[] = [NaN, Infinity, -Infinity, -1, -0.5, 0, 0.5, 1.5, 3.7, 101, 150, -150, 1e9];

export const rejects = (c: AnyCodec, v: unknown): boolean => either.isLeft(c.decode(v));

/** The values of `pool` the codec rejects. */
export const invalidFor = (c: AnyCodec, pool: readonly unknown[] = [...WRONG_TYPE, ...OUT_OF_RANGE]): unknown[] => pool.filter((v) => rejects(c, v));
