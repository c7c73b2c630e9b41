import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** Fast checks of the package's entries on the sources (the packed package is tests/consumer/package.test.ts). */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { sideEffects: string[] };

describe('the root entry (src/index.ts)', () => {
  it('bundles for the browser with no Node built-in, and its code reads process only through backend/env.ts', async () => {
    const out = await build({
      entryPoints: [path.join(root, 'src', 'index.ts')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    });
    expect(out.errors).toEqual([]);
    expect(Object.keys(out.metafile.inputs).filter((f) => f.startsWith('node:'))).toEqual([]);
    // esbuild marks each module's code with a `// <path>` line: our modules are those under src/
    const text = out.outputFiles[0]!.text;
    const modules = text.split(/^\/\/ (?=\S+\.[jt]s$)/m).filter((m) => m.startsWith('src/'));
    expect(modules.length).toBeGreaterThan(50);
    const offenders = modules
      .filter((m) => !m.startsWith('src/backend/env.ts'))
      .filter((m) => /\b(process|Buffer|require)\b/.test(m.slice(m.indexOf('\n'))))
      .map((m) => m.slice(0, m.indexOf('\n')));
    expect(offenders).toEqual([]);
  });
});

describe('package.json sideEffects', () => {
  it('lists exactly the modules with top-level statements that act on load (registrations, the CLI run)', () => {
    const sources = fs
      .readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.split(path.sep).includes('assembly'));
    const acting = sources.filter((f) => {
      const file = ts.createSourceFile(f, fs.readFileSync(path.join(root, 'src', f), 'utf8'), ts.ScriptTarget.ES2022);
      return file.statements.some((s) => ts.isExpressionStatement(s));
    });
    expect(acting.length).toBeGreaterThan(0);
    expect([...pkg.sideEffects].sort()).toEqual(acting.map((f) => `./dist/${f.split(path.sep).join('/').replace(/\.ts$/, '.js')}`).sort());
  });
});
