import * as fs from 'node:fs';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import * as YAML from 'yaml';
import { issue, type PoselossIssue } from './issues.js';

/**
 * YAML → plain data. Integers are read as integers and floats as floats, and the one place
 * where the reference tells them apart — `components_to_keep: 1` keeps one component,
 * `components_to_keep: 1.0` keeps all — keeps the distinction as `{ fraction: 1 }`.
 */
export const parseYaml = (text: string, file: string): Either<PoselossIssue[], unknown> => {
  const doc = YAML.parseDocument(text, { intAsBigInt: true, prettyErrors: true });
  if (doc.errors.length > 0) return either.left(doc.errors.map((e) => issue(file, `invalid YAML: ${e.message}`)));
  const toPlain = (u: unknown, key?: string): unknown => {
    if (typeof u === 'bigint') return Number(u);
    if (key === 'components_to_keep' && typeof u === 'number' && Number.isInteger(u)) return { fraction: u };
    if (Array.isArray(u)) return u.map((v) => toPlain(v));
    if (u && typeof u === 'object') return Object.fromEntries(Object.entries(u).map(([k, v]) => [k, toPlain(v, k)]));
    return u;
  };
  return either.right(toPlain(doc.toJS()));
};

export const readYaml = (file: string): Either<PoselossIssue[], unknown> => {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return either.left([issue(file, `cannot read the config: ${(e as Error).message}`)]);
  }
  return parseYaml(text, file);
};
