import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN, hasShared, warnIfNoShared } from '../shared.js';

/** The PyTorch peer of the geometry (bench/peer/multiview.py) against the same vectors, float64 and float32. */
const PYTHON = process.env.POSELOSS_PEER_PYTHON ?? '/usr/bin/python3';
const torchOk = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
warnIfNoShared('PyTorch geometry peer vs vectors');
if (!torchOk) console.warn(`SKIP PyTorch geometry peer: ${PYTHON} cannot import torch (apt-get install python3-torch)`);

describe.skipIf(!hasShared || !torchOk)('bench/peer/multiview.py', () => {
  it('passes ../shared/golden/multiview in float64 and float32', () => {
    const r = spawnSync(PYTHON, [path.join('bench', 'peer', 'check_multiview.py'), path.join(GOLDEN, 'multiview')], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.status).toBe(0);
  });
});
