import type * as t from 'io-ts';
import { issue, type PoselossIssue } from './issues.js';

const describe = (u: unknown): string => {
  if (u === undefined) return 'nothing';
  if (Array.isArray(u)) return `a list of ${u.length}`;
  if (u === null) return 'null';
  if (typeof u === 'string') return `'${u}'`;
  if (typeof u === 'object') return 'an object';
  return String(u);
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
  for (const e of errors) {
    // report at the outermost union on the path, so alternatives read as one expectation
    let ctx = e.context;
    const u = ctx.findIndex((c) => (c.type as { _tag?: string })._tag === 'UnionType');
    if (u >= 0 && !e.message) ctx = ctx.slice(0, u + 1);
    const trimmed = { ...e, context: ctx };
    const path = pathOf(trimmed, prefix);
    const last = ctx[ctx.length - 1];
    const message = e.message ?? `expected ${last.type.name}, got ${describe(last.actual)}`;
    const key = `${path}|${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue(path, message));
    }
  }
  return out;
};
