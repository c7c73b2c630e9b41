/**
 * Fitting the keypoint PCA on 100,000 frames × 34 columns (17 keypoints), 5% of entries
 * missing: `npx tsx bench/pcaFit.ts`. Prints the median of several fits, singleview
 * (fraction 0.99) and multiview (two views of 8 keypoints).
 */
import { either } from 'fp-ts';
import { rng } from '../src/example/random.js';
import { fitKeypointPca } from '../src/pca/index.js';

const frames = 100_000;
const k = 17;
const r = rng(3);
const basis = Array.from({ length: 4 }, () => Array.from({ length: 2 * k }, () => r.normal() * 30));
const data = new Float64Array(frames * 2 * k);
for (let f = 0; f < frames; f++) {
  const z = [r.normal(), r.normal(), r.normal(), r.normal()];
  for (let j = 0; j < 2 * k; j++) data[f * 2 * k + j] = 128 + z.reduce((s, zi, i) => s + zi * basis[i][j], 0) + r.normal();
  if (r.next() < 0.05) data.fill(NaN, f * 2 * k + 2 * (f % k), f * 2 * k + 2 * (f % k) + 2);
}
const labels = { data, rows: frames, cols: 2 * k };
const matches = [Array.from({ length: 8 }, (_, i) => i), Array.from({ length: 8 }, (_, i) => i + 8)];

const time = (name: string, fit: () => unknown) => {
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    fit();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  console.log(`${name.padEnd(44)} median ${ms[2].toFixed(0)} ms (min ${ms[0].toFixed(0)}, max ${ms[4].toFixed(0)})`);
};

const check = (x: ReturnType<typeof fitKeypointPca>) => {
  if (either.isLeft(x)) throw new Error(x.left);
  return x.right;
};
time('pca fit singleview 100000×34 (0.99)', () =>
  check(
    fitKeypointPca(labels, { format: { kind: 'singleview', columns: null, centering: null }, componentsToKeep: { kind: 'fraction', f: 0.99 }, percentile: 99 }),
  ),
);
time('pca fit multiview 100000×(8 pairs, 2 views)', () =>
  check(fitKeypointPca(labels, { format: { kind: 'multiview', matches }, componentsToKeep: { kind: 'count', n: 3 }, percentile: 99 })),
);
