import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const doc = readFileSync(join(root, 'docs/kernels.md'), 'utf8');

/** The kernel table of docs/kernels.md: name, wrapper file, AssemblyScript file. */
const rows = doc
  .split('\n')
  .filter((l) => /^\| `[a-zA-Z]+` \|/.test(l))
  .map((l) => {
    const cells = l.split('|').map((c) => c.trim());
    const code = (c: string) => c.match(/`([^`]+)`/)![1];
    return { kernel: code(cells[1]), wrapper: code(cells[3]), source: code(cells[4]) };
  });

describe('docs/kernels.md', () => {
  it('lists every kernel the wasm module exports (pairValidity and multiviewWorkBytes are helpers of temporal and multiview), with files that exist', () => {
    const mod = new WebAssembly.Module(readFileSync(join(root, 'src/kernels/simd/kernels.wasm')));
    const exported = WebAssembly.Module.exports(mod)
      .filter((e) => e.kind === 'function' && e.name !== 'pairValidity' && e.name !== 'multiviewWorkBytes')
      .map((e) => e.name)
      .sort();
    expect(rows.map((r) => r.kernel).sort()).toEqual(exported);
    for (const r of rows) {
      expect(existsSync(join(root, r.wrapper)), r.wrapper).toBe(true);
      expect(existsSync(join(root, 'src/kernels', r.source)), r.source).toBe(true);
    }
  });
});
