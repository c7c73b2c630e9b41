import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/config/issues.js';
import { MAX_YAML_BYTES, MAX_YAML_DEPTH, parseYaml } from '../../src/config/yaml.js';

/** The messages of a Left (one per issue), or the value. */
const parse = (text: unknown): { errors: string[] } | { value: unknown } => {
  const r = parseYaml(text, 'c.yaml');
  return either.isLeft(r) ? { errors: r.left.map(formatIssue) } : { value: r.right };
};
const errors = (text: unknown): string[] => {
  const r = parse(text);
  if (!('errors' in r)) throw new Error(`expected errors, got ${JSON.stringify(r.value)}`);
  for (const e of r.errors) {
    expect(e.startsWith('c.yaml')).toBe(true); // every message names the file
    expect(e).not.toContain('\n'); // one line each
  }
  return r.errors;
};

describe('parseYaml: always a value or a Left naming the file, never a throw or an abort', () => {
  it('merge keys are honoured as the reference loader does', () => {
    expect(parse('defaults: &d {epsilon: 20, log_weight: 11}\nlosses:\n  temporal:\n    <<: *d\n    epsilon: 5\n')).toEqual({
      value: { defaults: { epsilon: 20, log_weight: 11 }, losses: { temporal: { epsilon: 5, log_weight: 11 } } },
    });
  });

  it('__proto__, constructor and prototype as keys, at any depth: errors with the key path', () => {
    expect(errors('__proto__: {a: 1}\n')).toEqual(["c.yaml: __proto__: '__proto__' is a reserved name and cannot be used as a key"]);
    expect(errors('losses:\n  constructor: {log_weight: 1}\n  x:\n    prototype: 1\n')).toEqual([
      "c.yaml: losses.constructor: 'constructor' is a reserved name and cannot be used as a key",
      "c.yaml: losses.x.prototype: 'prototype' is a reserved name and cannot be used as a key",
    ]);
    expect(({} as Record<string, unknown>).a).toBeUndefined(); // nothing polluted
  });

  it('duplicate keys: an error with the line, found in linear time (100k keys well under a few seconds)', () => {
    expect(errors('a: 1\nb: 2\na: 3\n')).toEqual(["c.yaml: invalid YAML at line 3, column 1: the key 'a' appears twice in the same mapping"]);
    const n = 100_000;
    const big = `losses:\n${Array.from({ length: n }, (_, i) => `  k${i}: ${i}`).join('\n')}\n`;
    const t0 = performance.now();
    const r = parse(big);
    const ms = performance.now() - t0;
    expect('value' in r && Object.keys((r.value as { losses: object }).losses).length).toBe(n);
    expect(ms).toBeLessThan(20_000); // was 87 s (quadratic); ~1.5 s here
  });

  it('aliases: a legitimate 10,000-alias document parses; an alias bomb, an undefined alias: errors', () => {
    const many = parse(`a: &x 1\nb: [${Array.from({ length: 10_000 }, () => '*x').join(', ')}]\n`);
    expect('value' in many && (many.value as { b: number[] }).b.length).toBe(10_000);
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    expect(errors(levels.join('\n') + '\n')[0]).toMatch(/^c\.yaml: invalid YAML: /);
    expect(errors('a: *nowhere\n')[0]).toMatch(/^c\.yaml: invalid YAML: /);
  });

  it('nesting and size are bounded before the parser: deep flow or block nesting, a huge text, a tab-indented document first', () => {
    expect(errors('a:\n\tb: 1\n')[0]).toMatch(/^c\.yaml: invalid YAML: /);
    expect(errors('['.repeat(100_000) + ']'.repeat(100_000))).toEqual([`c.yaml: invalid YAML at line 1: nested more than ${MAX_YAML_DEPTH} levels deep`]);
    const block = Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n';
    expect(errors(block)[0]).toMatch(/nesting deeper than 64 levels is not accepted/);
    expect(errors('- '.repeat(5000) + 'x\n')[0]).toMatch(/nesting deeper/);
    expect(errors('a: ' + 'x'.repeat(MAX_YAML_BYTES + 1))[0]).toMatch(/the limit is/);
    expect(parse('a: {b: [1, {c: 2}]}\n')).toEqual({ value: { a: { b: [1, { c: 2 }] } } });
  });

  it('not text: non-string input, NUL bytes', () => {
    for (const u of [undefined, null, 42, {}, Buffer.from('a: 1')]) expect(errors(u)[0]).toMatch(/^c\.yaml: expected the text of a YAML document/);
    expect(errors('a: 1\nb: \0\n')).toEqual(['c.yaml: not a text file: it contains a NUL byte (line 2)']);
  });

  it('components_to_keep keeps 1 (a count) apart from 1.0 (all)', () => {
    expect(parse('components_to_keep: 1\n')).toEqual({ value: { components_to_keep: 1 } });
    expect(parse('components_to_keep: 1.0\n')).toEqual({ value: { components_to_keep: { fraction: 1 } } });
  });
});
