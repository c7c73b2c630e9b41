import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GOLDEN, hasShared, warnIfNoShared } from '../shared.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const poseloss = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin', 'poseloss.js'), ...args], { cwd: root, encoding: 'utf8' });

warnIfNoShared('CLI verify on ../shared/golden');

/** The command line as documented: `npx poseloss ...` runs bin/poseloss.js. */
describe('poseloss CLI', () => {
  it('example: every loss on the built-in batch, backend on stderr', () => {
    const r = poseloss('example');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^backend: (wasm|cpu|tensorflow)/m);
    for (const name of ['heatmap_mse', 'temporal', 'pca_singleview', 'pca_multiview', 'supervised_reprojection_heatmap_mse']) expect(r.stdout).toContain(name);
    expect(r.stdout).not.toContain('error');
  });

  it('unknown command: usage and exit 2', () => {
    const r = poseloss('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it.skipIf(!hasShared)('verify ../shared/golden: one line per case, then the count; exit 0', () => {
    const r = poseloss('verify', GOLDEN);
    const lines = r.stdout.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^\d+ passed, 0 failed$/);
    expect(lines.slice(0, -1).every((l) => /^(PASS|FAIL) \S+/.test(l))).toBe(true);
    expect(r.status).toBe(0);
  });

  it('verify: a failing case prints FAIL with the mismatch and exits 1', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-verify-'));
    const file = path.join(dir, 'regression_wrong.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        case: 'regression_wrong',
        loss: 'regression',
        params: { log_weight: 0 },
        stage: 'train',
        inputs: { keypoints_targ: { shape: [1, 2], data: [0, 0] }, keypoints_pred: { shape: [1, 2], data: [1, 1] } },
        expected: { loss: 2 },
      }),
    );
    const r = poseloss('verify', file);
    expect(r.stdout).toContain('FAIL regression_wrong: loss: expected 2, got 1');
    expect(r.stdout.trim().split('\n').pop()).toBe('0 passed, 1 failed');
    expect(r.status).toBe(1);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('POSELOSS_BACKEND=cpu is honoured and printed', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'poseloss.js'), 'example'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, POSELOSS_BACKEND: 'cpu' },
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('backend: cpu (forced by POSELOSS_BACKEND=cpu)');
  });
});
