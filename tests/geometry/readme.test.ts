import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasShared, SHARED, warnIfNoShared } from '../shared.js';

/** The README's multi-camera example runs as written (on the fly rig's calibration.toml). */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Multi-camera geometry'));
const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
warnIfNoShared('README multi-camera example');

describe.skipIf(!hasShared)('README: Multi-camera geometry example', () => {
  it('runs: a finite 3-D point, reprojection errors under 5 px in every view', () => {
    expect(code).toContain("from 'poseloss'");
    const dir = fs.mkdtempSync(path.join(ROOT, 'tests', 'geometry', '.readme-'));
    const file = path.join(dir, 'example.ts');
    const calib = path.join(SHARED, 'data/predictions/fly/calibration.toml');
    const src = `${code.replace("from 'poseloss'", "from '../../../src/index.js'").replace("'calibration.toml'", JSON.stringify(calib))}
console.log(JSON.stringify({ X: Array.from(g.points3d.dataSync()), e: Array.from(g.reprojectionError.dataSync()) }));\n`;
    fs.writeFileSync(file, src);
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', cwd: ROOT });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(out.X).toHaveLength(3);
      expect(out.X.every(Number.isFinite)).toBe(true);
      expect(out.e.every((e: number) => e >= 0 && e < 5), String(out.e)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
