/** `node:fs`, loaded when a file is read (Node ≥ 20.16), so that this module, and parseYaml with it, loads in a browser; readYaml is exported by `poseloss/node`. */
const nodeFs = () => process.getBuiltinModule('node:fs');

import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import * as YAML from 'yaml';
import { issue, type PoselossIssue } from './issues.js';

/** Largest config read (a Lightning Pose config is a few KB; 100k keys are ~2 MB). */
export const MAX_YAML_BYTES = 4 * 1024 * 1024;
/** Deepest nesting of mappings and lists accepted (configs nest 3–4 deep). */
export const MAX_YAML_DEPTH = 64;
/** Resolved alias nodes allowed: a document with 10,000 aliases is fine, an alias bomb is not. */
export const MAX_YAML_ALIAS_NODES = 100_000;

/** Object keys that would reach the prototype chain when user data becomes an object's keys. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const firstLine = (m: string): string => m.split('\n', 1)[0].trim();

/**
 * Nesting bounds checked on the text, before the parser sees it (deep nesting is where parsers
 * spend stack): flow brackets outside quotes and comments, and block indentation. Overcounts
 * brackets inside plain scalars, which the generous bound absorbs.
 */
const tooDeep = (text: string): string | null => {
  let depth = 0;
  let line = 1;
  let quote: string | null = null;
  let comment = false;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
      comment = false;
      lineStart = i + 1;
      if (quote === "'") continue; // multi-line quoted scalars are rare; keep the quote state
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (c === quote && !(quote === '"' && text[i - 1] === '\\')) quote = null;
      continue;
    }
    if (c === '"' || c === "'") {
      const prev = i > lineStart ? text[i - 1] : ' ';
      if (/[\s[{,:]/.test(prev)) quote = c;
    } else if (c === '#' && (i === lineStart || /\s/.test(text[i - 1]))) comment = true;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_YAML_DEPTH) return `line ${line}: nested more than ${MAX_YAML_DEPTH} levels deep`;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
    else if (i === lineStart) {
      let j = i;
      while (j < text.length && (text[j] === ' ' || text[j] === '\t' || ((text[j] === '-' || text[j] === '?') && /\s/.test(text[j + 1] ?? ' ')))) j++;
      if (j - i > 4 * MAX_YAML_DEPTH) return `line ${line}: indented ${j - i} columns; nesting deeper than ${MAX_YAML_DEPTH} levels is not accepted`;
    }
  }
  return null;
};

/** Duplicate keys of every mapping, found in one pass with a set per mapping (the parser's own check is quadratic). */
const duplicateKeys = (doc: YAML.Document, lines: YAML.LineCounter, file: string): PoselossIssue[] => {
  const out: PoselossIssue[] = [];
  YAML.visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const k = pair.key;
        const name = YAML.isScalar(k) ? String(k.value) : k === null || k === undefined ? '' : String(k);
        if (name === '<<') continue; // merge keys may repeat
        if (seen.has(name)) {
          const at = YAML.isNode(k) && k.range ? lines.linePos(k.range[0]) : null;
          out.push(issue(file, `invalid YAML${at ? ` at line ${at.line}, column ${at.col}` : ''}: the key '${name}' appears twice in the same mapping`));
        }
        seen.add(name);
      }
    },
  });
  return out;
};

/**
 * YAML → plain data, always a value: every problem is a `Left` naming `file` (and the line, or
 * the key path), never an exception. Integers are read as integers and floats as floats, and
 * the one place where the reference tells them apart — `components_to_keep: 1` keeps one
 * component, `components_to_keep: 1.0` keeps all — keeps the distinction as `{ fraction: 1 }`.
 * Merge keys (`<<: *defaults`) are honoured as the reference's loader does. Bounded: size
 * (`MAX_YAML_BYTES`), nesting (`MAX_YAML_DEPTH`), alias expansion (`MAX_YAML_ALIAS_NODES`);
 * duplicate keys and the keys `__proto__`, `constructor`, `prototype` are errors.
 */
export const parseYaml = (text: unknown, file: string): Either<PoselossIssue[], unknown> => {
  if (typeof text !== 'string') return either.left([issue(file, `expected the text of a YAML document, got ${text === null ? 'null' : typeof text}`)]);
  if (text.length > MAX_YAML_BYTES) return either.left([issue(file, `the config is ${text.length} characters long; the limit is ${MAX_YAML_BYTES}`)]);
  if (text.includes('\0'))
    return either.left([issue(file, `not a text file: it contains a NUL byte (line ${text.slice(0, text.indexOf('\0')).split('\n').length})`)]);
  const deep = tooDeep(text);
  if (deep) return either.left([issue(file, `invalid YAML at ${deep}`)]);
  let plain: unknown;
  try {
    const lines = new YAML.LineCounter();
    const doc = YAML.parseDocument(text, { intAsBigInt: true, prettyErrors: true, merge: true, uniqueKeys: false, lineCounter: lines });
    if (doc.errors.length > 0) return either.left(doc.errors.map((e) => issue(file, `invalid YAML: ${firstLine(e.message)}`)));
    const dups = duplicateKeys(doc, lines, file);
    if (dups.length) return either.left(dups);
    plain = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_NODES });
  } catch (e) {
    const m = firstLine((e as Error).message ?? String(e));
    return either.left([issue(file, `invalid YAML: ${/alias/i.test(m) || e instanceof ReferenceError ? `aliases: ${m}` : m}`)]);
  }
  const problems: PoselossIssue[] = [];
  const toPlain = (u: unknown, path: string, depth: number, key?: string): unknown => {
    if (depth > MAX_YAML_DEPTH) {
      if (problems.length === 0) problems.push(issue(`${file}: ${path}`, `nested more than ${MAX_YAML_DEPTH} levels deep`));
      return null;
    }
    if (typeof u === 'bigint') return Number(u);
    if (key === 'components_to_keep' && typeof u === 'number' && Number.isInteger(u)) return { fraction: u };
    if (Array.isArray(u)) return u.map((v, i) => toPlain(v, `${path}[${i}]`, depth + 1));
    if (u instanceof Map || u instanceof Set) {
      problems.push(issue(`${file}: ${path || '(top level)'}`, 'mapping keys must be plain strings or numbers'));
      return null;
    }
    if (u && typeof u === 'object') {
      const entries: [string, unknown][] = [];
      for (const [k, v] of Object.entries(u)) {
        const p = path ? `${path}.${k}` : k;
        if (RESERVED_KEYS.has(k)) problems.push(issue(`${file}: ${p}`, `'${k}' is a reserved name and cannot be used as a key`));
        else entries.push([k, toPlain(v, p, depth + 1, k)]);
      }
      return Object.fromEntries(entries);
    }
    return u;
  };
  const value = toPlain(plain, '', 0);
  return problems.length ? either.left(problems) : either.right(value);
};

export const readYaml = (file: string): Either<PoselossIssue[], unknown> => {
  const fs = nodeFs();
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) return either.left([issue(file, 'cannot read the config: it is a folder, not a file')]);
    if (!st.isFile()) return either.left([issue(file, 'cannot read the config: not a regular file (a pipe or device)')]);
    if (st.size > MAX_YAML_BYTES) return either.left([issue(file, `the config is ${st.size} bytes; the limit is ${MAX_YAML_BYTES}`)]);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return either.left([issue(file, `cannot read the config: ${firstLine((e as Error).message)}`)]);
  }
  if (text.includes('\uFFFD')) return either.left([issue(file, 'not a text file: it is not valid UTF-8 (binary content?)')]);
  return parseYaml(text, file);
};
