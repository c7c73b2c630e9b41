/**
 * `poseloss check` / `poseloss explain` on Lightning Pose configs, through the real CLI
 * functions: the reference's config_default.yaml is accepted, broken variants are rejected
 * with exit 2 and path-precise messages (every one of them, nothing else), and the
 * mirror-mouse example config is accepted and explained with its fitted PCA.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHARED, warnIfNoShared } from '../shared.js';
import { cli, editYaml, fixture, readFixture, removeTemp, writeTemp } from './helpers.js';

afterAll(removeTemp);

/** What check prints for a rejected file: a count line, then one `error:` line per issue. */
const rejected = (file: string, messages: readonly string[]): string[] => [
  `${file}: ${messages.length} error${messages.length === 1 ? '' : 's'}`,
  ...messages.map((m) => `error: ${m}`),
];

describe('config_default.yaml (the reference defaults, reproduced as a fixture)', () => {
  const file = fixture('config_default.yaml');

  it('is accepted: exit 0, the supervised heatmap_mse loss only (losses_to_use: [])', () => {
    const r = cli('check', [file]);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(['ok: 1 loss', `  ${'supervised'.padEnd(12)} ${'heatmap_mse'.padEnd(38)} log_weight 0 (not annealed)`]);
  });

  it('explain shows the resolved heatmap_mse pipeline and its weight 0.5', () => {
    const r = cli('explain', [file]);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      'supervised heatmap_mse',
      '  log_weight 0 → weight 1/(2·exp(log_weight)) = 0.500000, not annealed',
      '  reads: heatmaps_targ, heatmaps_pred; gradients to: heatmaps_pred',
      "  runs as: fused kernel 'heatmap' (one SIMD WebAssembly pass, closed-form gradients) on the cpu and wasm backends",
      '  pipeline:',
      '    - { mask: empty_heatmaps, of: heatmaps_targ }',
      '    - { compute: heatmap_mse, of: [heatmaps_targ, heatmaps_pred] }',
      '    - { reduce: mean }',
    ]);
  });

  it('with every unsupervised loss switched on, each block is checked (PCA parameters only, without labels)', () => {
    const text = editYaml(readFixture('config_default.yaml'), [
      [
        ['model', 'losses_to_use'],
        ['pca_multiview', 'pca_singleview', 'temporal'],
      ],
      [
        ['data', 'mirrored_column_matches'],
        [
          [0, 1, 2],
          [3, 4, 5],
        ],
      ],
    ]);
    const r = cli('check', [writeTemp('default_all_losses.yaml', text)]);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe('ok: 4 losses');
    expect(r.lines.filter((l) => l.includes('[fitted from labels: pass --labels to fit it]')).map((l) => l.trim().split(/\s+/)[1])).toEqual([
      'pca_multiview',
      'pca_singleview',
    ]);
    expect(r.lines.find((l) => l.includes(' temporal '))).toMatch(/unsupervised temporal\s+log_weight 11$/);
  });

  it('model_type regression selects the regression loss instead of a heatmap loss', () => {
    const text = editYaml(readFixture('config_default.yaml'), [[['model', 'model_type'], 'regression']]);
    const r = cli('check', [writeTemp('default_regression.yaml', text)]);
    expect(r.code).toBe(0);
    expect(r.lines[1]).toMatch(/^ {2}supervised +regression +log_weight 0$/);
  });

  /** The reference's default file, each with one mistake edited in: rejected at that path. */
  const edits: [string, [(string | number)[], unknown][], string[]][] = [
    [
      'a misspelt temporal key',
      [
        [['model', 'losses_to_use'], ['temporal']],
        [['losses', 'temporal', 'epsilom'], 3],
      ],
      ["losses.temporal.epsilom: unknown key 'epsilom' (did you mean 'epsilon'?)"],
    ],
    [
      'a misspelt loss name',
      [
        [
          ['model', 'losses_to_use'],
          ['pca_singleview', 'temporl'],
        ],
      ],
      ["model.losses_to_use[1]: unknown loss 'temporl' (did you mean 'temporal'?)"],
    ],
    ['an unknown heatmap loss type', [[['model', 'heatmap_loss_type'], 'mes']], ["model.heatmap_loss_type: unknown 'mes' (did you mean 'mse'?)"]],
    [
      'an out-of-range prob_threshold',
      [
        [['model', 'losses_to_use'], ['temporal']],
        [['losses', 'temporal', 'prob_threshold'], 5],
      ],
      ['losses.temporal.prob_threshold: expected a number in [0, 1], got 5'],
    ],
    ['a string downsample_factor', [[['data', 'downsample_factor'], 'two']], ["data.downsample_factor: expected a positive integer, got 'two'"]],
    [
      'a negative anneal increase',
      [[['callbacks', 'anneal_weight', 'increase_factor'], -0.01]],
      ['callbacks.anneal_weight.increase_factor: expected a number ≥ 0, got -0.01'],
    ],
    [
      'a misspelt anneal key',
      [[['callbacks', 'anneal_weight', 'final_value'], 1]],
      ["callbacks.anneal_weight.final_value: unknown key 'final_value' (did you mean 'final_val'?)"],
    ],
    [
      'pca_multiview without mirrored_column_matches',
      [[['model', 'losses_to_use'], ['pca_multiview']]],
      ['data.mirrored_column_matches: pca_multiview needs mirrored_column_matches (one list of keypoint indices per view)'],
    ],
  ];
  it.each(edits)('rejects the default with %s', (what, e, messages) => {
    const file = writeTemp(`default_${what.replace(/\W+/g, '_')}.yaml`, editYaml(readFixture('config_default.yaml'), e));
    const r = cli('check', [file]);
    expect(r.code).toBe(2);
    expect(r.lines).toEqual(rejected(file, messages));
  });
});

describe('accepted variants', () => {
  it('temporal + pca_singleview for 17 keypoints: accepted; without --labels the PCA is checked, not fitted', () => {
    const r = cli('check', [fixture('config_temporal_pca.yaml')]);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      'ok: 3 losses',
      `  ${'supervised'.padEnd(12)} ${'heatmap_mse'.padEnd(38)} log_weight 0 (not annealed)`,
      `  ${'unsupervised'.padEnd(12)} ${'temporal'.padEnd(38)} log_weight 11`,
      `  ${'unsupervised'.padEnd(12)} ${'pca_singleview'.padEnd(38)} log_weight 11  [fitted from labels: pass --labels to fit it]`,
    ]);
  });

  it('temporal + pca_singleview with --labels: explain shows the fitted PCA (synthetic 17-keypoint labels)', () => {
    const r = cli('explain', [fixture('config_temporal_pca.yaml'), '--labels', fixture('labels_17kp.csv')]);
    expect(r.code).toBe(0);
    const at = r.lines.indexOf('unsupervised pca_singleview');
    expect(at).toBeGreaterThan(0);
    const block = r.lines.slice(at, at + 9);
    expect(block[1]).toBe('  log_weight 11 → weight 1/(2·exp(log_weight)) = 0.00000835085, scaled by the anneal weight');
    expect(block[2]).toBe('  reads: keypoints_pred; gradients to: keypoints_pred');
    // 17 keypoints → 34 PCA columns; the labels are a 3-factor pose model plus noise
    const fitted = block[4].match(/^ {2}fitted PCA: singleview, (\d+) of 34 components kept, empirical epsilon ([\d.]+) \(from 40 rows\)$/);
    expect(fitted, block[4]).not.toBeNull();
    expect(Number(fitted![1])).toBeGreaterThanOrEqual(3);
    expect(Number(fitted![1])).toBeLessThan(34);
    // the epsilon line shows the fitted epsilon the rectify step uses (multiplier 1)
    const eps = Number(block[3].replace('  epsilon: ', ''));
    expect(eps).toBeGreaterThan(0);
    expect(eps.toPrecision(6)).toBe(Number(fitted![2]).toPrecision(6));
    expect(block[5]).toBe("  runs as: fused kernel 'pcaReprojection' (one SIMD WebAssembly pass, closed-form gradients) on the cpu and wasm backends");
    expect(block.slice(6)).toEqual([
      '  pipeline:',
      // each step with the loss parameters that reach it
      '    - { compute: pca_reprojection, of: keypoints_pred, view: singleview, components_to_keep: 0.99, empirical_epsilon_percentile: 99 }  # components_to_keep, empirical_epsilon_percentile, columns_for_singleview_pca, centering_method',
      '    - { rectify: epsilon, epsilon: fitted, multiplier: 1 }  # epsilon, empirical_epsilon_multiplier',
    ]);
  });

  it('the composed paw_huber loss: check and explain print exactly the output the guide shows', () => {
    const check = cli('check', [fixture('paw_huber.yaml')]);
    expect(check.code).toBe(0);
    expect(check.lines.join('\n')).toBe(readFixture('paw_huber.check.txt').trimEnd());
    const explain = cli('explain', [fixture('paw_huber.yaml')]);
    expect(explain.code).toBe(0);
    expect(explain.lines.join('\n')).toBe(readFixture('paw_huber.explain.txt').trimEnd());
  });
});

describe('broken variants: exit 2, every message at its path', () => {
  const cases: [string, string[]][] = [
    ['unknown_key_epsilom', ["losses.temporal.epsilom: unknown key 'epsilom' (did you mean 'epsilon'?)"]],
    ['unknown_loss_temporl', ["model.losses_to_use[0]: unknown loss 'temporl' (did you mean 'temporal'?)"]],
    ['epsilon_list_2', ['losses.temporal.epsilon: expected a number or 17 numbers (one per keypoint), got 2']],
    ['pca_column_20', ['data.columns_for_singleview_pca[3]: keypoint index 20 is outside the 17 keypoints (data.num_keypoints = 17)']],
    ['mirrored_unequal', ['data.mirrored_column_matches[1]: lists 6 keypoints, but view 0 lists 7: every view matches the same keypoints']],
    ['percentile_150', ['losses.pca_singleview.empirical_epsilon_percentile: expected a number in [0, 100], got 150']],
    ['log_weight_nan', ['losses.temporal.log_weight: expected a finite number, got NaN']],
    [
      'losses_to_use_repeat',
      [
        "model.losses_to_use[2]: 'temporal' is listed again (first at [0]): each loss counts once; remove the repeat",
        "model.losses_to_use[3]: 'temporal' is listed again (first at [0]): each loss counts once; remove the repeat",
      ],
    ],
    [
      'composed_no_compute',
      ['losses.paw_huber.pipeline: paw_huber has no compute step: add one, e.g. { compute: squared_error, of: [keypoints_targ, keypoints_pred] }'],
    ],
    ['composed_two_computes', ['losses.paw_huber.pipeline[2]: a second compute step; a pipeline has exactly one']],
    ['composed_reduce_not_last', ['losses.paw_huber.pipeline[2]: reduce must be the last step']],
    [
      'composed_mask_unread_key',
      ["losses.paw_huber.pipeline[0]: mask nan_keypoints of 'keypoints_pred_augmented', but huber reads 'keypoints_targ', 'keypoints_pred'"],
    ],
    [
      'composed_pairs_non_temporal',
      ['losses.paw_huber.pipeline[0]: low_confidence_pairs masks frame pairs; huber is not a temporal compute (use low_confidence)'],
    ],
    ['composed_unknown_step', ["losses.paw_huber.pipeline[1].compute: unknown compute step 'hubber' (did you mean 'huber'?)"]],
    [
      'several_errors',
      [
        "losses.temporal.epsilom: unknown key 'epsilom' (did you mean 'epsilon'?)",
        'losses.temporal.log_weight: expected a finite number, got NaN',
        'losses.temporal.prob_threshold: expected a number in [0, 1], got 1.5',
        "losses.paw_huber.pipeline[1].compute: unknown compute step 'hubber' (did you mean 'huber'?)",
        'losses.pca_singleview.empirical_epsilon_percentile: expected a number in [0, 100], got 150',
      ],
    ],
  ];

  it('has a fixture for every case and a case for every fixture', () => {
    const files = fs
      .readdirSync(fixture('broken'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
    const skipped = ['errors_across_stages', 'unselected_block_typo']; // their own tests below
    expect([...cases.map(([f]) => f), ...skipped].sort()).toEqual(files.sort());
  });

  it.each(cases)('%s', (name, messages) => {
    const file = fixture('broken', `${name}.yaml`);
    const r = cli('check', [file]);
    expect(r.code).toBe(2);
    expect(r.lines).toEqual(rejected(file, messages));
    // explain loads the config the same way and stops at the same errors
    const e = cli('explain', [file]);
    expect(e.code).toBe(2);
    expect(e.lines).toEqual(r.lines);
  });

  // every issue at once: wiring issues (index out of range, unknown name) and build issues together
  it('errors_across_stages: wiring and build errors are reported together', () => {
    const file = fixture('broken', 'errors_across_stages.yaml');
    const r = cli('check', [file]);
    expect(r.code).toBe(2);
    expect(r.lines).toEqual(
      rejected(file, [
        'data.columns_for_singleview_pca[2]: keypoint index 20 is outside the 17 keypoints (data.num_keypoints = 17)',
        "model.losses_to_use[0]: unknown loss 'temporl' (did you mean 'temporal'?)",
        "losses.temporal.epsilom: unknown key 'epsilom' (did you mean 'epsilon'?)",
        "losses.paw_huber.pipeline[1].compute: unknown compute step 'hubber' (did you mean 'huber'?)",
      ]),
    );
  });

  // a block that losses_to_use does not select is still checked, as data
  it('unselected_block_typo: a misspelt key in an unselected block is reported', () => {
    const file = fixture('broken', 'unselected_block_typo.yaml');
    const r = cli('check', [file]);
    expect(r.code).toBe(2);
    expect(r.lines).toEqual(rejected(file, ["losses.temporal.epsilom: unknown key 'epsilom' (did you mean 'epsilon'?)"]));
  });
});

describe('command-line edges', () => {
  it('no file, two files: the error, then the usage, exit 2', () => {
    const none = cli('check', []);
    expect(none.code).toBe(2);
    expect(none.lines[0]).toBe('error: give the config file');
    expect(none.lines[1]).toMatch(/^usage: poseloss check <config\.yaml> \[--labels CollectedData\.csv\]\n/);
    const two = cli('explain', ['a.yaml', 'b.yaml']);
    expect(two.code).toBe(2);
    expect(two.lines[0]).toBe('error: give one config file, got 2');
    expect(two.lines[1]).toMatch(/^usage: poseloss explain <config\.yaml>/);
  });

  it('a missing file, invalid YAML, a config that is not a mapping, missing labels: one error line each, exit 2', () => {
    const missing = path.join(path.dirname(fixture('x')), 'no-such-config.yaml');
    const r1 = cli('check', [missing]);
    expect(r1.code).toBe(2);
    expect(r1.lines).toHaveLength(1);
    expect(r1.lines[0]).toMatch(new RegExp(`^error: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read the config: ENOENT`));
    const bad = writeTemp('invalid.yaml', 'model:\n  losses_to_use: [temporal,\n');
    const r2 = cli('check', [bad]);
    expect(r2.code).toBe(2);
    expect(r2.lines[0]).toMatch(/^error: .*invalid\.yaml: invalid YAML: /);
    const list = writeTemp('list.yaml', '- model\n- losses\n');
    expect(cli('check', [list])).toEqual({ code: 2, lines: [`${list}: 1 error`, 'error: expected a config mapping (model, data, losses, ...)'] });
    const r4 = cli('check', [fixture('config_temporal_pca.yaml'), '--labels', fixture('no-such-labels.csv')]);
    expect(r4.code).toBe(2);
    expect(r4.lines).toHaveLength(1);
    expect(r4.lines[0]).toMatch(/^error: .*no-such-labels\.csv/);
  });
});

const MM = path.join(SHARED, 'data', 'mirror-mouse');
const hasMirrorMouse = fs.existsSync(path.join(MM, 'CollectedData.csv')) && fs.existsSync(path.join(MM, 'config_mirror-mouse-example.yaml'));
if (!hasMirrorMouse) warnIfNoShared('mirror-mouse config checks');
if (!hasMirrorMouse && fs.existsSync(SHARED)) console.warn(`SKIP mirror-mouse config checks: ${MM} lacks the config or CollectedData.csv`);

describe.skipIf(!hasMirrorMouse)('the mirror-mouse example (../shared/data/mirror-mouse)', () => {
  const config = path.join(MM, 'config_mirror-mouse-example.yaml');
  const labels = path.join(MM, 'CollectedData.csv');

  it('check --labels: accepted, pca_singleview fitted', () => {
    const r = cli('check', [config, '--labels', labels]);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      'ok: 2 losses',
      `  ${'supervised'.padEnd(12)} ${'heatmap_mse'.padEnd(38)} log_weight 0 (not annealed)`,
      `  ${'unsupervised'.padEnd(12)} ${'pca_singleview'.padEnd(38)} log_weight 10.7`,
    ]);
  });

  it('explain --labels shows the fitted singleview PCA on the 14 paired keypoints (28 columns, 90 frames)', () => {
    const r = cli('explain', [config, '--labels', labels]);
    expect(r.code).toBe(0);
    const at = r.lines.indexOf('unsupervised pca_singleview');
    expect(r.lines[at + 1]).toBe('  log_weight 10.7 → weight 1/(2·exp(log_weight)) = 0.0000112725, scaled by the anneal weight');
    const fitted = r.lines[at + 4].match(/^ {2}fitted PCA: singleview, (\d+) of 28 components kept, empirical epsilon ([\d.]+) \(from 90 rows\)$/);
    expect(fitted, r.lines[at + 4]).not.toBeNull();
    expect(Number(fitted![1])).toBeGreaterThan(0);
    expect(Number(fitted![2])).toBeGreaterThan(0);
    expect(r.lines[at + 7]).toContain('columns: [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14]');
  });

  it('with every unsupervised loss switched on: the multiview PCA is fitted too (2 views → 4 columns, 3 kept)', () => {
    const text = editYaml(fs.readFileSync(config, 'utf8'), [
      [
        ['model', 'losses_to_use'],
        ['pca_multiview', 'pca_singleview', 'temporal'],
      ],
    ]);
    const r = cli('explain', [writeTemp('mirror_mouse_all.yaml', text), '--labels', labels]);
    expect(r.code).toBe(0);
    expect(r.lines.filter((l) => /^(supervised|unsupervised) /.test(l))).toEqual([
      'supervised heatmap_mse',
      'unsupervised pca_multiview',
      'unsupervised pca_singleview',
      'unsupervised temporal',
    ]);
    const multi = r.lines[r.lines.indexOf('unsupervised pca_multiview') + 4];
    // 7 matched keypoints × 90 frames = 630 rows
    expect(multi).toMatch(/^ {2}fitted PCA: multiview, 3 of 4 components kept, empirical epsilon [\d.]+ \(from 630 rows\)$/);
  });

  it('rejects the mirror-mouse config with an epsilon list of the wrong length', () => {
    const text = editYaml(fs.readFileSync(config, 'utf8'), [
      [['model', 'losses_to_use'], ['temporal']],
      [
        ['losses', 'temporal', 'epsilon'],
        [20, 20],
      ],
    ]);
    const file = writeTemp('mirror_mouse_eps.yaml', text);
    const r = cli('check', [file, '--labels', labels]);
    expect(r.code).toBe(2);
    expect(r.lines).toEqual(rejected(file, ['losses.temporal.epsilon: expected a number or 17 numbers (one per keypoint), got 2']));
  });
});
