/**
 * Benchmark of `poseloss metrics` on a large file: 100,000 frames × 17 keypoints (x, y,
 * likelihood; a random walk written with 15 significant digits, as Lightning Pose writes its
 * predictions), with the singleview and multiview PCA fitted on 300 labeled frames.
 * Prints the time of each phase and of the whole command.
 *
 *   npx tsx bench/metrics.ts [frames]        (default 100000)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { either } from 'fp-ts';
import { initBackend } from '../src/backend/index.js';
import { metricsCommand } from '../src/cli/metrics.js';
import { decodeConfig } from '../src/config/lightningPose.js';
import { readYaml } from '../src/config/yaml.js';
import { readPoseCsvStream } from '../src/io/poseCsvStream.js';
import { metricCsv } from '../src/metrics/csv.js';
import { computeFileMetrics, setupMetrics } from '../src/metrics/files.js';
import { renderReport } from '../src/report/html.js';

const FRAMES = Number(process.argv[2] ?? 100_000);
const K = 17;
const names = Array.from({ length: K }, (_, k) => `kp${String(k).padStart(2, '0')}`);

/** Deterministic xorshift in [0, 1). */
const rng = (seed: number) => () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};

const poseCsv = (frames: number, seed: number, likelihood: boolean): string => {
  const r = rng(seed);
  const coords = likelihood ? ['x', 'y', 'likelihood'] : ['x', 'y'];
  const lines = [
    ['scorer', ...names.flatMap(() => coords.map(() => 'bench'))].join(','),
    ['bodyparts', ...names.flatMap((n) => coords.map(() => n))].join(','),
    ['coords', ...names.flatMap(() => coords)].join(','),
  ];
  const x = names.map((_, k) => 100 + 20 * k);
  const y = names.map((_, k) => 300 - 10 * k);
  for (let f = 0; f < frames; f++) {
    const row: string[] = [likelihood ? String(f) : `labeled-data/bench/img${String(f).padStart(6, '0')}.png`];
    for (let k = 0; k < K; k++) {
      x[k] += r() - 0.5;
      y[k] += r() - 0.5;
      row.push(x[k].toPrecision(15), y[k].toPrecision(15));
      if (likelihood) row.push(r().toPrecision(15));
    }
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
};

const time = async <A>(label: string, f: () => A | Promise<A>): Promise<A> => {
  const t0 = performance.now();
  const a = await f();
  console.log(`  ${label.padEnd(34)} ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  return a;
};

const main = async (): Promise<void> => {
  const backend = await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-bench-metrics-'));
  try {
    const preds = path.join(dir, 'video.csv');
    const labels = path.join(dir, 'CollectedData.csv');
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(preds, poseCsv(FRAMES, 12345, true));
    fs.writeFileSync(labels, poseCsv(300, 777, false));
    fs.writeFileSync(
      config,
      [
        'data:',
        `  keypoint_names: [${names.join(', ')}]`,
        `  columns_for_singleview_pca: [${names.map((_, i) => i).join(', ')}]`,
        '  mirrored_column_matches: [[0, 1, 2, 3, 4, 5, 6, 7], [8, 9, 10, 11, 12, 13, 14, 15]]',
        'losses:',
        '  pca_singleview: { components_to_keep: 0.99, empirical_epsilon_percentile: 99.0 }',
        '  pca_multiview: { components_to_keep: 3, empirical_epsilon_percentile: 99.0 }',
        '  temporal: { epsilon: 20.0 }',
        '',
      ].join('\n'),
    );
    const mb = (fs.statSync(preds).size / 1e6).toFixed(1);
    console.log(
      `poseloss metrics benchmark: ${FRAMES} frames × ${K} keypoints (${mb} MB), backend ${backend.name}, node ${process.version}, ${os.cpus().length} CPUs`,
    );

    console.log('phases:');
    const cfg = decodeConfig(either.getOrElse<unknown, unknown>(() => ({}))(readYaml(config)));
    if (either.isLeft(cfg)) throw new Error('bench config does not decode');
    const l = await time('read labels (300 frames)', () => readPoseCsvStream(labels));
    const p = await time('read predictions (stream)', () => readPoseCsvStream(preds));
    if (either.isLeft(l) || either.isLeft(p)) throw new Error('bench files do not parse');
    const setup = setupMetrics(cfg.right, l.right);
    if (either.isLeft(setup)) throw new Error(setup.left.join('\n'));
    const m = await time('metrics (temporal + 2 PCA, fit incl.)', () => computeFileMetrics(setup.right, p.right));
    if (either.isLeft(m)) throw new Error(m.left);
    await time('CSV text of 3 metrics', () => m.right.metrics.map((x) => metricCsv(m.right.index, m.right.keypoints, x.values)));
    const html = await time('report.html', () => renderReport({ config, labels, files: [m.right] }));
    console.log(`  (report ${(html.length / 1e6).toFixed(2)} MB)`);

    const out = path.join(dir, 'out');
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const code = await metricsCommand(['--config', config, '--labels', labels, '--preds', preds, '--out', out], () => {});
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (code !== 0) throw new Error(`metrics exited ${code}`);
    // CPU time too: on a shared machine the wall clock also measures the neighbours
    console.log(
      `end to end (metricsCommand, files written): ${s.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU, ` +
        `for ${FRAMES} frames × ${K} keypoints (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs)`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
