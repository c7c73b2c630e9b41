import type * as t from 'io-ts';
import { issue, type PoselossIssue } from './issues.js';

const describe = (u: unknown): string => {
  if (u === undefined) return 'nothing';
  if (Array.isArray(u)) return `a list of ${u.length}`;
  if (u === null) return 'null';
  if (typeof u === 'string') return `'${u}'`;
  if (typeof u === 'object') return 'a mapping';
  return String(u);
};

/** A codec's name as a reader knows it: io-ts's generated names of object codecs (`Partial<{ … }>`) read as "a mapping". */
const nameOf = (type: t.Decoder<unknown, unknown>): string => (/^(Partial<|Readonly<|Exact<)?\{/.test(type.name) ? 'a mapping' : type.name);

/** Where, below a union over a list, an error reached an element: `[i] = value` and the element's expectation. */
const elementOf = (ctx: t.Context, u: number): { index: string; value: unknown; expected: string } | null => {
  for (let j = u + 1; j < ctx.length; j++) {
    const parent = ctx[j - 1].type as { _tag?: string };
    if (/^\d+$/.test(ctx[j].key) && (parent._tag === 'ArrayType' || parent._tag === 'ReadonlyArrayType'))
      return { index: ctx[j].key, value: ctx[j].actual, expected: nameOf(ctx[ctx.length - 1].type) };
  }
  return null;
};

/** The path of an io-ts error: object keys joined by '.', list indices in [i]; union branch indices skipped. */
const pathOf = (e: t.ValidationError, prefix: string): string => {
  let path = prefix;
  for (let i = 1; i < e.context.length; i++) {
    const { key, type } = e.context[i];
    const parent = e.context[i - 1].type as { _tag?: string };
    if (key === '' || parent._tag === 'UnionType' || parent._tag === 'IntersectionType') continue;
    if (/^\d+$/.test(key) && (parent._tag === 'ArrayType' || parent._tag === 'ReadonlyArrayType' || parent._tag === 'TupleType')) path += `[${key}]`;
    else path += path ? `.${key}` : key;
    void type;
  }
  return path;
};

/**
 * io-ts errors as path-precise issues: "losses.temporal.epsilon: expected a number or a list
 * of numbers (one per keypoint), got 'abc'". A union reports one line (its own name) rather
 * than a line per failed branch.
 */
export const report = (errors: t.Errors, prefix = ''): PoselossIssue[] => {
  const out: PoselossIssue[] = [];
  const seen = new Set<string>();
  // a union over a list names its bad elements: "got a list of 3: [1] is NaN (expected a number)"
  const badElements = new Map<string, Map<string, string>>();
  for (const e of errors) {
    const u = e.context.findIndex((c) => (c.type as { _tag?: string })._tag === 'UnionType');
    if (u < 0 || e.message || !Array.isArray(e.context[u].actual)) continue;
    const el = elementOf(e.context, u);
    if (!el) continue;
    const at = pathOf({ ...e, context: e.context.slice(0, u + 1) }, prefix);
    const m = badElements.get(at) ?? new Map<string, string>();
    if (!m.has(el.index)) m.set(el.index, `[${el.index}] is ${describe(el.value)} (expected ${el.expected})`);
    badElements.set(at, m);
  }
  for (const e of errors) {
    // report at the outermost union on the path, so alternatives read as one expectation
    let ctx = e.context;
    const u = ctx.findIndex((c) => (c.type as { _tag?: string })._tag === 'UnionType');
    if (u >= 0 && !e.message) ctx = ctx.slice(0, u + 1);
    const trimmed = { ...e, context: ctx };
    const path = pathOf(trimmed, prefix);
    const last = ctx[ctx.length - 1];
    const elements = u >= 0 && !e.message ? badElements.get(path) : undefined;
    const detail =
      elements && elements.size ? `: ${[...elements.values()].slice(0, 5).join(', ')}${elements.size > 5 ? `, … (${elements.size} in all)` : ''}` : '';
    const message = e.message ?? `expected ${nameOf(last.type)}, got ${describe(last.actual)}${detail}`;
    const key = `${path}|${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue(path, message));
    }
  }
  return out;
};
