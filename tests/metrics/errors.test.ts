import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { poseCsv, runMetrics, tmpDir, twoLabeledPreds, twoLabels, withFiles } from './helpers.js';

const KP = ['nose', 'ear'];
const video = (frames: number): (string | number)[][] => Array.from({ length: frames }, (_, f) => [f, 10 + f, 20, 0.9, 30, 40 + f, 0.8]);

/** A folder with a config, labels and predictions; `out` is where the command writes (not created beforehand). */
const setup = (files: Record<string, string>) => withFiles('errors', files);

const CONFIG = 'data:\n  keypoint_names: [nose, ear]\nlosses:\n  temporal: { epsilon: 5.0 }\n';

/** Exit 2, the message matches, nothing written to --out (the folder is not even created). */
const expectFailure = async (argv: string[], out: string, message: RegExp) => {
  const r = await runMetrics(...argv);
  expect(r.code).toBe(2);
  const text = r.err.join('\n');
  expect(text).toMatch(message);
  expect(text).toContain(`nothing written to ${out}`);
  expect(fs.existsSync(out)).toBe(false);
  expect(r.out).toEqual([]);
  return text;
};

describe('poseloss metrics: bad input is a clear error, nothing half-written', () => {
  it('a file without the three header rows names the file and line', async () => {
    const s = setup({ 'c.yaml': CONFIG, 'p.csv': 'bodyparts,nose,nose\ncoords,x,y\n0,1,2\n1,2,3\n' });
    await expectFailure(
      ['--config', s.p('c.yaml'), '--preds', s.p('p.csv'), '--out', s.out],
      s.out,
      /p\.csv, line 1: expected three header rows .*found "bodyparts" where "scorer" belongs/,
    );
  });

  it('a non-numeric cell names the file, line, column and keypoint', async () => {
    const rows = video(4);
    rows[2][4] = 'oops';
    const s = setup({ 'c.yaml': CONFIG, 'p.csv': poseCsv(KP, rows) });
    await expectFailure(
      ['--config', s.p('c.yaml'), '--preds', s.p('p.csv'), '--out', s.out],
      s.out,
      /p\.csv, line 6, column 5 \(ear x\): "oops" is not a number/,
    );
  });

  it('a likelihood-only keypoint', async () => {
    const text = 'scorer,t,t,t,t\nbodyparts,nose,nose,nose,tail\ncoords,x,y,likelihood,likelihood\n0,1,2,0.5,0.5\n1,1,2,0.5,0.5\n';
    const s = setup({ 'c.yaml': 'data: {}\n', 'p.csv': text });
    await expectFailure(
      ['--config', s.p('c.yaml'), '--preds', s.p('p.csv'), '--out', s.out],
      s.out,
      /p\.csv, header: keypoint "tail" has only a likelihood column \(column 5\) and no x\/y columns/,
    );
  });

  it('fewer than 2 frames for the temporal norm', async () => {
    const s = setup({ 'c.yaml': CONFIG, 'p.csv': poseCsv(KP, video(1)) });
    await expectFailure(
      ['--config', s.p('c.yaml'), '--preds', s.p('p.csv'), '--out', s.out],
      s.out,
      /p\.csv: the temporal norm needs at least 2 frames, the file has 1/,
    );
  });

  it('a labels file whose index does not match the predictions of labeled frames', async () => {
    const labels = twoLabels();
    const preds = twoLabeledPreds(['img0.png', 'img7.png'], ['train', 'val']);
    const s = setup({ 'c.yaml': CONFIG, 'l.csv': labels, 'p.csv': preds });
    await expectFailure(
      ['--config', s.p('c.yaml'), '--labels', s.p('l.csv'), '--preds', s.p('p.csv'), '--out', s.out],
      s.out,
      /p\.csv, frame row 2: index "img7\.png" is not in the labels .*l\.csv/,
    );
  });

  it('a keypoint name missing anywhere lists the names on both sides', async () => {
    const s = setup({ 'c.yaml': 'data:\n  keypoint_names: [nose, tail]\n', 'p.csv': poseCsv(KP, video(3)) });
    await expectFailure(
      ['--config', s.p('c.yaml'), '--preds', s.p('p.csv'), '--out', s.out],
      s.out,
      /p\.csv: its keypoints do not match data\.keypoint_names of the config: "tail" in the config but not in the predictions; "ear" in the predictions but not in the config\. Config: \[nose, tail\]; predictions: \[nose, ear\]/,
    );
    const labels = poseCsv(['nose'], [['img0.png', 1, 2]], { likelihood: false });
    const s2 = setup({ 'c.yaml': 'data:\n  columns_for_singleview_pca: [0, 1]\n', 'l.csv': labels, 'p.csv': poseCsv(KP, video(3)) });
    await expectFailure(
      ['--config', s2.p('c.yaml'), '--labels', s2.p('l.csv'), '--preds', s2.p('p.csv'), '--out', s2.out],
      s2.out,
      /l\.csv: the labels have no keypoint\(s\) "ear" of the predictions .*p\.csv\. Predictions: \[nose, ear\]; labels: \[nose\]/,
    );
  });

  it('one bad file among good ones: every error printed, no output at all (not even the good files’)', async () => {
    const bad = video(4);
    bad[3][1] = 'x';
    const s = setup({ 'c.yaml': CONFIG, 'good.csv': poseCsv(KP, video(5)), 'bad.csv': poseCsv(KP, bad), 'short.csv': poseCsv(KP, video(1)) });
    const text = await expectFailure(
      ['--config', s.p('c.yaml'), '--preds', s.p('good.csv'), '--preds', s.p('bad.csv'), '--preds', s.p('short.csv'), '--out', s.out],
      s.out,
      /bad\.csv, line 7, column 2 \(nose x\)/,
    );
    expect(text).toMatch(/short\.csv: the temporal norm needs at least 2 frames/);
    // an existing --out keeps exactly what it had
    fs.mkdirSync(s.out);
    fs.writeFileSync(path.join(s.out, 'keep.txt'), 'mine');
    const r = await runMetrics('--config', s.p('c.yaml'), '--preds', s.p('good.csv'), '--preds', s.p('bad.csv'), '--out', s.out);
    expect(r.code).toBe(2);
    expect(fs.readdirSync(s.out)).toEqual(['keep.txt']);
  });

  it('PCA asked for without --labels, a config error with its path, a missing option', async () => {
    const s = setup({
      'c.yaml': 'data:\n  mirrored_column_matches: [[0], [1]]\n',
      'p.csv': poseCsv(KP, video(3)),
      'bad.yaml': 'losses:\n  pca_singleview: { components_to_kep: 3 }\ndata:\n  columns_for_singleview_pca: [0, 1]\n',
    });
    await expectFailure(
      ['--config', s.p('c.yaml'), '--preds', s.p('p.csv'), '--out', s.out],
      s.out,
      /data\.mirrored_column_matches: the PCA metrics are fitted on labeled frames: pass the labels file/,
    );
    await expectFailure(
      ['--config', s.p('bad.yaml'), '--labels', s.p('p.csv'), '--preds', s.p('p.csv'), '--out', s.out],
      s.out,
      /losses\.pca_singleview\.components_to_kep: unknown key 'components_to_kep'/,
    );
    const r = await runMetrics('--config', s.p('c.yaml'), '--out', s.out);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(/--preds P\.csv is required[\s\S]*usage: poseloss metrics/);
  });

  it('two predictions files with the same name would overwrite each other', async () => {
    const s = setup({ 'c.yaml': CONFIG });
    fs.mkdirSync(s.p('a'));
    fs.mkdirSync(s.p('b'));
    fs.writeFileSync(s.p('a/v.csv'), poseCsv(KP, video(3)));
    fs.writeFileSync(s.p('b/v.csv'), poseCsv(KP, video(3)));
    await expectFailure(
      ['--config', s.p('c.yaml'), '--preds', s.p('a/v.csv'), '--preds', s.p('b/v.csv'), '--out', s.out],
      s.out,
      /b\/v\.csv: its outputs \(v_\*\.csv\) would overwrite those of .*a\/v\.csv/,
    );
  });
});

describe('poseloss metrics on small files', () => {
  it('labeled-frame predictions: pixel error matched by index (any order), set column kept; zero on identical files', async () => {
    const labelRows = [
      ['img0.png', 1, 2, 3, 4],
      ['img1.png', 5, 6, 7, 8],
      ['img2.png', 9, 10, '', ''],
    ];
    const labels = poseCsv(KP, labelRows, { likelihood: false });
    // the predictions hold the labels' frames in another order, one keypoint moved by (3, 4)
    const preds = poseCsv(
      KP,
      [
        ['img2.png', 9, 10, 0.9, 1, 1, 0.9],
        ['img0.png', 4, 6, 0.9, 3, 4, 0.9],
      ],
      { set: ['val', 'train'] },
    );
    const same = poseCsv(
      KP,
      labelRows.map((r) => [r[0], r[1], r[2], 0.9, r[3], r[4], 0.9]),
      { set: ['train', 'train', 'val'] },
    );
    const s = setup({ 'c.yaml': CONFIG, 'l.csv': labels, 'p.csv': preds, 'same.csv': same });
    const r = await runMetrics('--config', s.p('c.yaml'), '--labels', s.p('l.csv'), '--preds', s.p('p.csv'), '--preds', s.p('same.csv'), '--out', s.out);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(s.out, 'p_pixel_error.csv'), 'utf8')).toBe(',nose,ear,set\nimg2.png,0.0,,val\nimg0.png,5.0,0.0,train\n');
    expect(fs.readFileSync(path.join(s.out, 'same_pixel_error.csv'), 'utf8')).toBe(
      ',nose,ear,set\nimg0.png,0.0,0.0,train\nimg1.png,0.0,0.0,train\nimg2.png,0.0,,val\n',
    );
    expect(fs.readdirSync(s.out).sort()).toEqual(['p_pixel_error.csv', 'report.html', 'same_pixel_error.csv']);
    expect(r.out.join('\n')).toContain('pixel_error (px)');
  });

  it('video predictions: temporal norm (first row empty), fraction over the temporal epsilon in the table', async () => {
    // nose moves 1 px per frame in x, ear 6 px per frame in y (over epsilon 5)
    const rows = Array.from({ length: 4 }, (_, f) => [f, f, 0, 0.9, 0, 6 * f, 0.9]);
    const s = setup({ 'c.yaml': CONFIG, 'v.csv': poseCsv(KP, rows) });
    const r = await runMetrics('--config', s.p('c.yaml'), '--preds', s.p('v.csv'), '--out', s.out);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(s.out, 'v_temporal_norm.csv'), 'utf8')).toBe(',nose,ear\n0,,\n1,1.0,6.0\n2,1.0,6.0\n3,1.0,6.0\n');
    const table = r.out.join('\n');
    expect(table).toMatch(/nose +1 +1 +1 +5 +0\.0%/);
    expect(table).toMatch(/ear +6 +6 +6 +5 +100\.0%/);
  });
});

describe('each PCA metric reads its own losses block', () => {
  it('pca_multiview’s percentile and pca_singleview’s components / centering are not mixed up (the reference reads pca_singleview for both)', async () => {
    const { setupMetrics, computeFileMetrics } = await import('../../src/node.js');
    const { fitPcaMetricOrThrow } = await import('../../src/metrics/index.js');
    const { decodeConfig } = await import('../../src/config/lightningPose.js');
    const { parsePoseCsv } = await import('../../src/io/index.js');
    // a pose family plus independent wiggles in every coordinate, so no PCA reprojects it exactly
    const frame = (t: number): number[] => [
      100 + 10 * Math.sin(t) + Math.sin(5.1 * t),
      50 + 3 * Math.cos(t * 1.7) + Math.cos(7.3 * t),
      120 + 10 * Math.sin(t) + Math.sin(9.7 * t),
      52 + 3 * Math.cos(t * 1.7) + Math.sin(3.9 * t),
    ];
    const labels = parsePoseCsv(
      poseCsv(
        KP,
        Array.from({ length: 40 }, (_, f) => [`img${f}.png`, ...frame(f)]),
        { likelihood: false },
      ),
      'labels.csv',
    );
    const preds = parsePoseCsv(
      poseCsv(
        KP,
        Array.from({ length: 30 }, (_, f) => {
          const p = frame(f * 0.37 + 0.1);
          return [f, p[0], p[1], 0.9, p[2], p[3], 0.9];
        }),
      ),
      'video.csv',
    );
    if (labels._tag === 'Left' || preds._tag === 'Left') throw new Error('fixture');
    const cfg = decodeConfig({
      data: { keypoint_names: KP, columns_for_singleview_pca: [0, 1], mirrored_column_matches: [[0], [1]] },
      losses: {
        pca_singleview: { components_to_keep: 1, empirical_epsilon_percentile: 99, centering_method: 'mean' },
        pca_multiview: { empirical_epsilon_percentile: 50 },
      },
    });
    if (cfg._tag === 'Left') throw new Error(JSON.stringify(cfg.left));
    const setup = setupMetrics(cfg.right, labels.right);
    if (setup._tag === 'Left') throw new Error(setup.left.join('\n'));
    const r = computeFileMetrics(setup.right, preds.right);
    if (r._tag === 'Left') throw new Error(r.left);
    const [, sv, mv] = r.right.metrics;
    expect([sv.name, mv.name]).toEqual(['pca_singleview_error', 'pca_multiview_error']);
    const lab = { data: labels.right.xy.data, rows: 40, cols: 4 };
    const mv50 = fitPcaMetricOrThrow('multiview', lab, { mirrored_column_matches: [[0], [1]], empirical_epsilon_percentile: 50 });
    const mv99 = fitPcaMetricOrThrow('multiview', lab, { mirrored_column_matches: [[0], [1]], empirical_epsilon_percentile: 99 });
    expect(mv.epsilon).toBe(mv50.epsilon);
    expect(mv50.epsilon).not.toBe(mv99.epsilon);
    const sv1 = fitPcaMetricOrThrow('singleview', lab, { columns_for_singleview_pca: [0, 1], components_to_keep: 1, centering_method: 'mean' });
    expect(sv1.pca.nKept).toBe(1);
    expect(sv.epsilon).toBe(sv1.epsilon);
  });
});
