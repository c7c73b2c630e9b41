/** Syntax tree of an expression. `start`/`end` are 0-based character offsets into the source. */
export type BinaryOp = '+' | '-' | '*' | '/' | '^' | '<' | '<=' | '>' | '>=' | '==' | '!=';

interface Span {
  readonly start: number;
  readonly end: number;
}

export type Node =
  | (Span & { readonly kind: 'num'; readonly value: number })
  | (Span & { readonly kind: 'name'; readonly name: string })
  | (Span & { readonly kind: 'list'; readonly items: readonly Node[] })
  | (Span & { readonly kind: 'neg'; readonly arg: Node })
  | (Span & { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Node; readonly right: Node })
  | (Span & { readonly kind: 'call'; readonly fn: string; readonly fnEnd: number; readonly args: readonly Node[] });

/** A problem in an expression: `column` is 1-based (absent when the problem has no place in the text). */
export interface ExprIssue {
  /** Which expression: `value`, or the name of a definition. */
  readonly where: string;
  readonly column?: number;
  readonly message: string;
}

export const COMPARISONS: readonly BinaryOp[] = ['<', '<=', '>', '>=', '==', '!='];

/** Precedence of binary operators (higher binds tighter); `^` is right-associative. */
export const PRECEDENCE: Record<BinaryOp, number> = {
  '<': 1,
  '<=': 1,
  '>': 1,
  '>=': 1,
  '==': 1,
  '!=': 1,
  '+': 2,
  '-': 2,
  '*': 3,
  '/': 3,
  '^': 5,
};

/** Source text of a tree, fully parenthesised where precedence needs it (for `explain` and the generators). */
export const print = (n: Node): string => {
  switch (n.kind) {
    case 'num':
      return Number.isInteger(n.value) || Math.abs(n.value) >= 1e-3 ? String(n.value) : n.value.toExponential();
    case 'name':
      return n.name;
    case 'list':
      return `[${n.items.map(print).join(', ')}]`;
    case 'neg':
      return `-${wrap(n.arg, 4)}`;
    case 'binary': {
      const p = PRECEDENCE[n.op];
      const right = n.op === '^' ? p : p + 1;
      const left = n.op === '^' ? p + 1 : COMPARISONS.includes(n.op) ? p + 1 : p;
      return `${wrap(n.left, left)} ${n.op} ${wrap(n.right, right)}`;
    }
    case 'call':
      return `${n.fn}(${n.args.map(print).join(', ')})`;
  }
};

const level = (n: Node): number => (n.kind === 'binary' ? PRECEDENCE[n.op] : n.kind === 'neg' ? 4 : 9);
const wrap = (n: Node, min: number): string => (level(n) < min ? `(${print(n)})` : print(n));
