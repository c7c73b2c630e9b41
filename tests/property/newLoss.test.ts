/**
 * A new built-in-style elementwise loss (Wing, tests/config/fixtures/wing.ts) is one step
 * declaration and one loss declaration: once registered, the property suites (step reference,
 * fused = tfjs ops, input checks, non-finite inputs, bad inputs and parameters), `check`,
 * `explain` and the docs-table check cover it without a list to extend. (Wing is not a
 * built-in: the fixture registers it here only.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { either } from 'fp-ts';
import { afterAll, describe, expect, it } from 'vitest';
import { explainCommand } from '../../src/cli/explain.js';
import { formatIssues } from '../../src/config/issues.js';
import { parseYaml } from '../../src/config/yaml.js';
import { lossNames } from '../../src/losses/registry.js';
import { checkConfig } from '../../src/lp/check.js';
import { allSteps } from '../../src/steps/registry.js';
import { vocabularyProblems } from '../config/docsTable.js';
import { wing } from '../config/fixtures/wing.js';
import { ROOT, removeTemp, writeTemp } from '../config/helpers.js';
import { describeLossErrors, selectedFor } from './errorSuite.js';
import { describeInputChecks } from './inputCheckSuite.js';
import { describeComputePipelines, describeLossSuite } from './lossSuite.js';
import { describeNonFinite } from './nonFiniteSuite.js';
import { describeStepSuite } from './stepSuite.js';

afterAll(removeTemp);

const CONFIG = `data:
  num_keypoints: 4
model:
  losses_to_use: [wing]
  model_type: heatmap
  heatmap_loss_type: mse
losses:
  wing:
    log_weight: 1.5
    omega: 8
    epsilon: 3
`;

describe('Wing: one step file and one loss declaration', () => {
  it('joins the registries the suites enumerate', () => {
    expect(allSteps()).toContain(wing);
    expect(lossNames()).toContain('wing');
  });

  it('check builds it in the factory its declaration names', () => {
    const raw = parseYaml(CONFIG, 'wing.yaml');
    if (either.isLeft(raw)) expect.fail(formatIssues(raw.left));
    const r = checkConfig(raw.right);
    if (either.isLeft(r)) expect.fail(formatIssues(r.left));
    const checked = r.right.losses.find((l) => l.record.name === 'wing');
    expect(checked, JSON.stringify(r.right.losses.map((l) => l.record.name))).toBeDefined();
    expect(checked!.factory).toBe('supervised');
  });

  it('explain shows its parameters at the step that uses them (its epsilon is its own, not a rectify epsilon)', () => {
    const lines: string[] = [];
    expect(explainCommand([writeTemp('wing.yaml', CONFIG)], (l) => lines.push(l))).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('supervised wing');
    expect(text).toContain('- { compute: wing, of: [keypoints_targ, keypoints_pred], omega: 8, epsilon: 3 }  # omega, epsilon');
    expect(text).not.toMatch(/^\s*epsilon: /m);
  });

  it('the docs-table check names it until docs/composing-losses.md has its row', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'composing-losses.md'), 'utf8');
    expect(vocabularyProblems(doc, allSteps())).toEqual(['step wing is missing from the vocabulary table']);
  });
});

describe('Wing: the checks that apply to some losses select it from its declarations', () => {
  it('it reads packed (x, y) columns and has an epsilon parameter; its epsilon is its own, not a rectify list', () => {
    expect(selectedFor(['wing'])).toEqual({ packedColumns: ['wing'], epsilonList: [], epsilonParam: ['wing'] });
  });
});

describeStepSuite([wing]);
describeLossSuite(['wing']);
describeComputePipelines([wing]);
describeInputChecks(['wing']);
describeNonFinite(['wing']);
describeLossErrors(['wing']);
