import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYERS } from '../../src/layers.js';

const SRC = path.resolve(__dirname, '../../src');

const sources = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.ts$/.test(e.name) && !p.includes(`${path.sep}assembly${path.sep}`) && !e.name.endsWith('.d.ts') ? [p] : [];
  });

/** Relative imports of a file (static, side-effect and dynamic), resolved to source files. */
const importsOf = (file: string): string[] => {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return specs.map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts')).filter((p) => p.endsWith('.ts'));
};

const layerOf = (file: string): { name: string; layer: number } => {
  const top = path.relative(SRC, file).split(path.sep)[0];
  const layer = LAYERS[top];
  if (layer === undefined) throw new Error(`src/${top} is in no layer: add it to src/layers.ts`);
  return { name: top, layer };
};

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('the import graph', () => {
  it('finds the source files and their imports', () => {
    expect(files.length).toBeGreaterThan(50);
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
  });

  it('imports run down the layers (src/layers.ts): no folder imports one above it', () => {
    const up = files.flatMap((f) =>
      graph.get(f)!.flatMap((g) => {
        const [a, b] = [layerOf(f), layerOf(g)];
        return b.layer > a.layer
          ? [`${path.relative(SRC, f)} (${a.name}, layer ${a.layer}) imports ${path.relative(SRC, g)} (${b.name}, layer ${b.layer})`]
          : [];
      }),
    );
    expect(up).toEqual([]);
  });

  it('has no cycles', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, stack: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') return void cycles.push([...stack.slice(stack.indexOf(f)), f].map((x) => path.relative(SRC, x)).join(' → '));
      state.set(f, 'open');
      for (const g of graph.get(f) ?? []) visit(g, [...stack, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('the checker sees a violation: a file of layer 1 importing one of layer 2 would be reported', () => {
    const f = path.join(SRC, 'pipeline', 'x.ts');
    const g = path.join(SRC, 'kernels', 'y.ts');
    expect(layerOf(g).layer).toBeGreaterThan(layerOf(f).layer);
  });
});
