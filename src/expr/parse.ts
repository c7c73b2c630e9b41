import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { type BinaryOp, COMPARISONS, type Node, PRECEDENCE } from './ast.js';
import { type Token, tokenize } from './tokenize.js';

export interface SyntaxError {
  readonly column: number;
  readonly message: string;
}

const MAX_LENGTH = 2000;

class Fail {
  constructor(readonly error: SyntaxError) {}
}

const describe = (t: Token): string => (t.kind === 'end' ? 'the end of the expression' : `'${t.text}'`);

/**
 * Parse an expression: numbers, names, calls `f(a, b)`, number lists `[1, 2]`, unary minus,
 * `+ - * / ^` (`^` right-associative, binding tighter than unary minus) and one comparison
 * (`< <= > >= == !=`, which do not chain). A syntax error names its 1-based column.
 */
export const parse = (src: string): Either<SyntaxError, Node> => {
  // bounds the parser's recursion: nesting cannot get deeper than the text is long
  if (src.length > MAX_LENGTH)
    return either.left({ column: MAX_LENGTH + 1, message: `an expression is at most ${MAX_LENGTH} characters long; split it into definitions` });
  const tokens = tokenize(src);
  if (either.isLeft(tokens)) return tokens;
  const ts = tokens.right;
  let pos = 0;
  const peek = () => ts[pos];
  const fail = (t: Token, message: string): never => {
    throw new Fail({ column: t.start + 1, message });
  };
  const expect = (kind: Token['kind'], what: string): Token => {
    const t = peek();
    if (t.kind !== kind) fail(t, `expected ${what}, found ${describe(t)}`);
    pos++;
    return t;
  };

  const binary = (minPrec: number): Node => {
    let left = unary();
    for (;;) {
      const t = peek();
      if (t.kind !== 'op') return left;
      const op = t.text as BinaryOp;
      const prec = PRECEDENCE[op];
      if (prec < minPrec) return left;
      pos++;
      const right = op === '^' ? unary() : binary(prec + 1);
      if (COMPARISONS.includes(op)) {
        const next = peek();
        if (next.kind === 'op' && COMPARISONS.includes(next.text as BinaryOp)) fail(next, `comparisons do not chain: write and(a ${op} b, b ${next.text} c)`);
      }
      left = { kind: 'binary', op, left, right, start: left.start, end: right.end };
    }
  };

  const unary = (): Node => {
    const t = peek();
    if (t.kind === 'op' && t.text === '-') {
      pos++;
      const arg = unary();
      return { kind: 'neg', arg, start: t.start, end: arg.end };
    }
    if (t.kind === 'op' && t.text === '+') {
      pos++;
      return unary();
    }
    const base = atom();
    if (peek().kind === 'op' && peek().text === '^') {
      pos++;
      const exp = unary();
      return { kind: 'binary', op: '^', left: base, right: exp, start: base.start, end: exp.end };
    }
    return base;
  };

  const atom = (): Node => {
    const t = peek();
    switch (t.kind) {
      case 'num':
        pos++;
        return { kind: 'num', value: t.value!, start: t.start, end: t.end };
      case 'name': {
        pos++;
        if (peek().kind !== '(') return { kind: 'name', name: t.text, start: t.start, end: t.end };
        pos++;
        const args = peek().kind === ')' ? [] : items(')');
        const close = expect(')', `',' or ')' to close ${t.text}(`);
        return { kind: 'call', fn: t.text, fnEnd: t.end, args, start: t.start, end: close.end };
      }
      case '(': {
        pos++;
        if (peek().kind === ')') fail(peek(), `empty parentheses`);
        const inner = binary(0);
        expect(')', `')' to close the '(' at column ${t.start + 1}`);
        return inner;
      }
      case '[': {
        pos++;
        const xs = peek().kind === ']' ? [] : items(']');
        const close = expect(']', `',' or ']' to close the list at column ${t.start + 1}`);
        return { kind: 'list', items: xs, start: t.start, end: close.end };
      }
      default:
        return fail(t, `expected a number, a name or '(', found ${describe(t)}`);
    }
  };

  const items = (close: ')' | ']'): Node[] => {
    const xs = [binary(0)];
    while (peek().kind === ',') {
      pos++;
      if (peek().kind === close) fail(peek(), `expected an argument after ',', found '${close}'`);
      xs.push(binary(0));
    }
    return xs;
  };

  try {
    const tree = binary(0);
    const t = peek();
    if (t.kind !== 'end') fail(t, t.kind === ')' ? `unmatched ')'` : `expected an operator or the end of the expression, found ${describe(t)}`);
    return either.right(tree);
  } catch (e) {
    if (e instanceof Fail) return either.left(e.error);
    throw e;
  }
};
