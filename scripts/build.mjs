// `npm run build` (also run by `prepare`, so `npm ci`, `npm pack` and git installs get it):
// dist/ = tsc's ESM JavaScript, .d.ts and source maps (sources inlined) of src/, plus the
// YAML files src/ reads at run time (the demo's config). The kernels' .wasm is embedded in
// the JavaScript (src/kernels/simd/kernelsWasm.ts) and needs no copy.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
for (const entry of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true }))
  if (entry.isFile() && entry.name.endsWith('.yaml')) {
    const from = join(entry.parentPath, entry.name);
    cpSync(from, join(dist, from.slice(join(root, 'src').length)));
  }
