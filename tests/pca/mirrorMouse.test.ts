import { readFileSync } from 'node:fs';
import path from 'node:path';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { readPoseCsv } from '../../src/io/index.js';
import { fitKeypointPca, type PcaFit, type PcaFormat, requireFiniteEpsilon } from '../../src/pca/index.js';
import { mirrorMouseDir, sharedExists, warnIfNoShared } from './sharedData.js';

warnIfNoShared('mirror-mouse PCA');

const invariants = (f: PcaFit): void => {
  const { data, rows, cols } = f.components;
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < rows; j++) {
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += data[i * cols + c] * data[j * cols + c];
      expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-9);
    }
  const ev = f.explainedVariance;
  for (let i = 1; i < ev.length; i++) expect(ev[i]).toBeLessThanOrEqual(ev[i - 1]);
  expect(ev[ev.length - 1]).toBeGreaterThanOrEqual(0);
  expect(Math.abs(f.explainedVarianceRatio.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
  const eps = requireFiniteEpsilon(f);
  expect(either.isRight(eps)).toBe(true);
  expect(f.epsilonEmpirical).toBeGreaterThan(0);
};

describe.skipIf(!sharedExists)('mirror-mouse labels (../shared/data/mirror-mouse)', () => {
  const facts = sharedExists ? JSON.parse(readFileSync(path.join(mirrorMouseDir, 'dataset.json'), 'utf8')) : null;
  const table = sharedExists ? readPoseCsv(path.join(mirrorMouseDir, facts.csv_file)) : null;

  it('reads 90 frames of 17 keypoints in dataset.json order', () => {
    if (!table || either.isLeft(table)) throw new Error(table ? table.left : 'no table');
    const t = table.right;
    expect(t.index.length).toBe(facts.csv_num_frames);
    expect(t.xy.rows).toBe(90);
    expect(t.keypoints).toEqual(facts.keypoint_names);
    expect(t.keypoints.length).toBe(facts.num_keypoints);
    expect(t.likelihood).toBeNull();
    expect(t.hasSetColumn).toBe(false);
    expect(t.index[0]).toBe('labeled-data/img01.png');
    expect(t.xy.data[3]).toBe(101.900392541708);
    expect(Number.isNaN(t.xy.data[8])).toBe(true); // tailBase_top of img01 is unlabelled
  });

  const fitWith = (format: PcaFormat): PcaFit => {
    if (!table || either.isLeft(table)) throw new Error('no table');
    const r = fitKeypointPca(table.right.xy, { format, componentsToKeep: { kind: 'fraction', f: 0.99 }, percentile: 99 });
    if (either.isLeft(r)) throw new Error(r.left);
    return r.right;
  };

  it('singleview PCA over columns_for_singleview_pca (0.99 of the variance, 99th percentile)', () => {
    const f = fitWith({ kind: 'singleview', columns: facts.columns_for_singleview_pca, centering: null });
    expect(f.formattedFit.cols).toBe(28);
    invariants(f);
    console.log(
      `mirror-mouse pca_singleview: ${f.nKept} of ${f.components.rows} components kept, ` + `epsilon ${f.epsilonEmpirical} px (raw label coordinates)`,
    );
  });

  it('multiview PCA over mirrored_column_matches (3 components, 99th percentile)', () => {
    const f = fitWith({ kind: 'multiview', matches: facts.mirrored_column_matches });
    expect([f.formattedFit.rows, f.formattedFit.cols]).toEqual([90 * 7, 4]);
    expect(f.nKept).toBe(3);
    invariants(f);
    console.log(
      `mirror-mouse pca_multiview: ${f.nKept} of ${f.components.rows} components kept, ` + `epsilon ${f.epsilonEmpirical} px (raw label coordinates)`,
    );
  });
});
