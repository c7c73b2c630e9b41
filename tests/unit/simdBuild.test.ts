import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemblyDescriptors, GENERATED_PATH } from '../../scripts/descriptors.js';
import { DESCRIPTORS, layout } from '../../src/kernels/simd/descriptors.js';
import { kernelsWasmBytes, simdKernels } from '../../src/kernels/simd/index.js';

const root = join(import.meta.dirname, '..', '..');
const committed = join(root, 'src/kernels/simd/kernels.wasm');

/** The `build:wasm` script's asc command line (between the descriptors' generation and the embedding), with the output redirected. */
const buildCommand = (out: string): string[] => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [generate, asc, embed] = pkg.scripts['build:wasm'].split('&&').map((s) => s.trim());
  expect(generate).toBe('tsx scripts/descriptors.ts');
  expect(embed).toBe('node scripts/embed-wasm.mjs');
  const args = asc.split(/\s+/);
  expect(args[0]).toBe('asc');
  const o = args.indexOf('-o');
  args[o + 1] = out;
  return args.slice(1);
};

describe('the committed SIMD kernels (src/kernels/simd/kernels.wasm, embedded in kernelsWasm.ts)', () => {
  it('are the build of the AssemblyScript source, file and embedded bytes (run `npm run build:wasm` after editing it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'poseloss-wasm-'));
    const out = join(dir, 'kernels.wasm');
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/assemblyscript/bin/asc.js'), ...buildCommand(out)], { cwd: root, stdio: 'pipe' });
      const built = readFileSync(out);
      expect(Buffer.compare(built, readFileSync(committed))).toBe(0);
      // the bytes the library runs: embedded as base64 in src/kernels/simd/kernelsWasm.ts
      expect(Buffer.compare(built, Buffer.from(kernelsWasmBytes()))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('read their descriptors through simd/assembly/descriptors.ts as generated from the table now (run `npm run build:wasm`)', () => {
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(assemblyDescriptors());
  });

  it('export one entry point per declared descriptor (and expr), each taking one argument', () => {
    const mod = new WebAssembly.Module(kernelsWasmBytes());
    const functions = WebAssembly.Module.exports(mod).filter((e) => e.kind === 'function');
    expect(functions.map((e) => e.name).sort()).toEqual([...Object.keys(DESCRIPTORS), 'expr'].sort());
    const kernels = simdKernels(new WebAssembly.Memory({ initial: 1 })) as unknown as Record<string, (...a: number[]) => unknown>;
    for (const { name } of functions) expect([name, kernels[name].length]).toEqual([name, 1]);
  });

  it('lay descriptor fields out in declaration order, each aligned to its size, never overlapping', () => {
    for (const fields of Object.values(DESCRIPTORS)) {
      const l = layout(fields);
      expect(l.fields.map((f) => f.name)).toEqual(Object.keys(fields));
      let end = 0;
      for (const f of l.fields) {
        const size = f.type === 'f64' ? 8 : 4;
        expect(f.offset % size).toBe(0);
        expect(f.offset).toBeGreaterThanOrEqual(end);
        end = f.offset + size;
      }
      expect(l.bytes).toBeGreaterThanOrEqual(end);
    }
  });

  it('import their memory and carry no data segments, so they cannot write into the tfjs heap on their own', () => {
    const mod = new WebAssembly.Module(readFileSync(committed));
    expect(WebAssembly.Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    // a data segment would be written into the imported memory when instantiated: section id 11
    const bytes = readFileSync(committed);
    let at = 8;
    const sections: number[] = [];
    while (at < bytes.length) {
      const id = bytes[at++];
      let size = 0;
      for (let shift = 0; ; shift += 7) {
        const b = bytes[at++];
        size |= (b & 0x7f) << shift;
        if (!(b & 0x80)) break;
      }
      sections.push(id);
      at += size;
    }
    expect(sections).not.toContain(11);
    expect(WebAssembly.Module.exports(mod).map((e) => e.name)).toEqual(expect.arrayContaining(['heatmap', 'temporalHeatmap']));
  });
});
