import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import * as t from 'io-ts';
import { suggestion } from '../config/closest.js';
import { oneOf, strict } from '../config/codecs.js';
import { issue, type PoselossIssue } from '../config/issues.js';
import type { KeyKind } from '../pipeline/keys.js';
import type { BuildContext } from '../pipeline/step.js';

export const Mode = oneOf(['drop', 'zero'] as const, 'mode');
export type Mode = t.TypeOf<typeof Mode>;

/** One input key, or a list of keys (target before prediction). */
export const Of = t.union([t.string, t.array(t.string)], 'an input key or a list of input keys');

/**
 * A step codec: the phase key fixed to the step's name, plus the step's own fields
 * (with defaults); unknown fields are errors naming the closest known one.
 */
export const stepCodec = <P extends t.Props>(phase: string, name: string, props: P, defaults: { [K in keyof P]?: t.TypeOf<P[K]> } = {}) =>
  strict(`${phase}: ${name}`, { [phase]: t.literal(name), ...props } as P & { [k: string]: t.Mixed }, defaults as never);

/** Resolve `of` to a list of known keys of the allowed kinds; errors name the closest known key. */
export const resolveKeys = (
  of: string | readonly string[],
  ctx: BuildContext,
  step: string,
  arity: number,
  kinds: readonly KeyKind[],
): Either<PoselossIssue[], string[]> => {
  const keys = typeof of === 'string' ? [of] : [...of];
  const path = `${ctx.path}.of`;
  if (keys.length !== arity)
    return either.left([issue(path, `${step} reads ${arity === 1 ? 'one key' : `${arity} keys (target, prediction)`}, got ${keys.length}`)]);
  const errs: PoselossIssue[] = [];
  for (const k of keys) {
    const kind = ctx.kinds[k];
    if (kind === undefined) errs.push(issue(path, `unknown input key '${k}'${suggestion(k, Object.keys(ctx.kinds))}`));
    else if (!kinds.includes(kind)) errs.push(issue(path, `${step} cannot read '${k}' (a ${kind} tensor); it reads ${kinds.join(' or ')} tensors`));
  }
  return errs.length ? either.left(errs) : either.right(keys);
};

/** Shape check of two inputs that must be equal. */
export const sameShapes =
  (name: string, of: readonly string[]) =>
  (shapes: readonly (readonly number[])[]): string | null =>
    shapes[0].length === shapes[1].length && shapes[0].every((d, i) => d === shapes[1][i])
      ? null
      : `${of[1]} (${shapes[1].join(',')}) vs ${of[0]} (${shapes[0].join(',')}): ${name} needs equal shapes`;
