import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

interface Report {
  backend: string;
  rows: { workload: string; median_ms: number | null; leaked_tensors: number | null; value: number | null; note?: string }[];
  memory_floor: { workload: string; floor_ms: number; ratio: number; cache_floor_ms: number; cache_ratio: number } | null;
}

/** What `npm run bench -- --quick --json` prints (timings are not asserted: they belong to the bench). */
describe('npm run bench -- --quick --json', () => {
  const report = JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench/run.ts'), '--quick', '--json'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as Report;

  it('runs every workload of the issue, fwd and fwd+bwd, and names them <loss>/<shape>/<mode>', () => {
    const names = report.rows.map((r) => r.workload);
    for (const loss of ['heatmap_mse', 'heatmap_kl', 'heatmap_js']) expect(names).toContain(`${loss}/16x17x64x64/fwd+bwd`);
    for (const w of [
      'heatmap_mse/8x17x96x96',
      'heatmap_kl/8x17x96x96',
      'temporal/256x34',
      'temporal/2048x34',
      'temporal_heatmap_mse/16x17x64x64',
      'temporal_heatmap_kl/16x17x64x64',
      'pca_singleview/256x34',
      'pca_multiview/256x34',
      'regression/256x34',
    ])
      for (const mode of ['fwd', 'fwd+bwd']) expect(names).toContain(`${w}/${mode}`);
    expect(names).toContain('factory/default/fwd+bwd');
    for (const n of names) expect(n).toMatch(/^([a-z_]+\/[0-9x]+|factory\/default)\/(fwd|fwd\+bwd)$/);
  });

  it('every workload is measured, gives a finite loss and leaks no tensor', () => {
    for (const r of report.rows) {
      expect(r.median_ms, `${r.workload}: ${r.note ?? ''}`).toBeGreaterThan(0);
      expect(Number.isFinite(r.value), `${r.workload} value ${r.value}`).toBe(true);
      expect(r.leaked_tensors, r.workload).toBe(0);
    }
  });

  it('compares heatmap_mse fwd+bwd with the memory-bandwidth floor', () => {
    expect(report.memory_floor?.workload).toBe('heatmap_mse/16x17x64x64/fwd+bwd');
    expect(report.memory_floor!.floor_ms).toBeGreaterThan(0);
    expect(report.memory_floor!.ratio).toBeGreaterThan(0);
    // buffers that stay in cache copy faster than 64 MiB ones: a lower floor, a larger ratio
    expect(report.memory_floor!.cache_floor_ms).toBeGreaterThan(0);
    expect(report.memory_floor!.cache_ratio).toBeGreaterThan(0);
  });
});
