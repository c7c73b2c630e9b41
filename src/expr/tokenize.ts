import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';

export type TokenKind = 'num' | 'name' | 'op' | '(' | ')' | '[' | ']' | ',' | 'end';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly value?: number;
}

const OPS = ['<=', '>=', '==', '!=', '**', '+', '-', '*', '/', '^', '<', '>'];
const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Split an expression into tokens; an unknown character is an error at its column. */
export const tokenize = (src: string): Either<{ column: number; message: string }, Token[]> => {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const num = NUMBER.exec(rest);
    if (num) {
      out.push({ kind: 'num', text: num[0], start: i, end: i + num[0].length, value: Number(num[0]) });
      i += num[0].length;
      if (NAME.test(src.slice(i)))
        return either.left({ column: i + 1, message: `a number followed directly by '${NAME.exec(src.slice(i))![0]}' (missing an operator?)` });
      continue;
    }
    const name = NAME.exec(rest);
    if (name) {
      out.push({ kind: 'name', text: name[0], start: i, end: i + name[0].length });
      i += name[0].length;
      continue;
    }
    if ('()[],'.includes(c)) {
      out.push({ kind: c as TokenKind, text: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    const op = OPS.find((o) => rest.startsWith(o));
    if (op) {
      // `**` is accepted as a spelling of `^`
      out.push({ kind: 'op', text: op === '**' ? '^' : op, start: i, end: i + op.length });
      i += op.length;
      continue;
    }
    const hint = c === '=' ? " (comparison is '==')" : c === '&' || c === '|' ? ' (use and(a, b) / or(a, b))' : c === '!' ? ' (use not(a))' : '';
    return either.left({ column: i + 1, message: `unexpected character '${c}'${hint}` });
  }
  out.push({ kind: 'end', text: 'end of expression', start: src.length, end: src.length });
  return either.right(out);
};
