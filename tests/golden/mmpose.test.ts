import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../src/config/issues.js';
import { readYaml } from '../../src/config/yaml.js';
import { checkConfig } from '../../src/lp/check.js';
import { PROJECT_ROOT } from '../../src/verify/configCase.js';
import { readCase, runCase } from '../../src/verify/index.js';
import { GOLDEN, hasShared, warnIfNoShared } from '../shared.js';

warnIfNoShared('MMPose vectors');

const DIR = path.join(GOLDEN, 'mmpose');
const EXAMPLES = path.join(PROJECT_ROOT, 'examples', 'losses', 'mmpose');
const NAMES = ['wing', 'soft_wing', 'smooth_l1', 'l1', 'mse', 'mpjpe', 'bone', 'oks', 'keypoint_mse', 'keypoint_mse_skip_empty', 'ohkm_mse', 'adaptive_wing'];

describe('examples/losses/mmpose', () => {
  it('holds one config per MMPose loss of the catalogue, each checked and built as `poseloss check` does', () => {
    expect(fs.readdirSync(EXAMPLES).sort()).toEqual(NAMES.map((n) => `${n}.yaml`).sort());
    for (const n of NAMES) {
      const raw = readYaml(path.join(EXAMPLES, `${n}.yaml`));
      const r = either.isRight(raw) ? checkConfig(raw.right) : raw;
      if (either.isLeft(r)) expect.fail(`${n}.yaml: ${formatIssues(r.left)}`);
      const l = either.isRight(r) ? r.right.losses.find((x) => x.record.name === n) : undefined;
      expect(l?.loss, n).toBeDefined();
      expect(
        l!.loss!.steps.some((s) => s.phase === 'compute' && s.name === 'expr'),
        n,
      ).toBe(true);
    }
  });
});

/** Every MMPose vector through `poseloss verify`'s code (a `config_file` case). */
describe.skipIf(!hasShared)('MMPose vectors (../shared/golden/mmpose)', () => {
  const files = hasShared
    ? fs
        .readdirSync(DIR)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];
  it('finds 3 vectors per loss', () => expect(files.length).toBe(3 * NAMES.length));
  for (const f of files)
    it(f.replace(/\.json$/, ''), () => {
      const outcome = runCase(readCase(path.join(DIR, f)));
      expect(outcome.ok ? 'PASS' : outcome.message).toBe('PASS');
    });
});

const PYTHON = process.env.POSELOSS_PEER_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!hasTorch) console.warn(`SKIP the PyTorch peers' check: ${PYTHON} cannot import torch (apt-get install python3-torch)`);

describe.skipIf(!hasShared || !hasTorch)("the benchmark's PyTorch peers (bench/peer/mmpose.py)", () => {
  it('match the MMPose vectors, loss and gradients', () => {
    const r = spawnSync(PYTHON, [path.join(PROJECT_ROOT, 'bench', 'peer', 'check_mmpose.py'), DIR], { encoding: 'utf8' });
    expect(r.stdout.trim().split('\n').pop()).toBe(`${3 * NAMES.length}/${3 * NAMES.length} files match`);
    expect(r.status).toBe(0);
  });
});
