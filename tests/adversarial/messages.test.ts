import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.js';

/** Messages that name the bad element (issue 16 item 14), through `poseloss check`. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const base = fs.readFileSync(path.join(root, 'tests', 'config', 'fixtures', 'config_temporal_pca.yaml'), 'utf8');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-messages-'));

const check = (name: string, text: string): string[] => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  const lines: string[] = [];
  expect(
    checkCommand(
      [file],
      (l) => lines.push(l),
      (l) => lines.push(l),
    ),
  ).toBe(2);
  return lines;
};

describe('config messages name the bad element', () => {
  it('epsilon: [1, .nan, 3] names element [1]', () => {
    expect(check('eps.yaml', base.replace('    epsilon: 20.0', '    epsilon: [1, .nan, 3]'))).toContain(
      'error: losses.temporal.epsilon: expected a number or a list of numbers (one per keypoint), got a list of 3: [1] is NaN (expected a finite number)',
    );
  });

  it('columns_for_singleview_pca: [-1, 1.5, 1e20, 7] names the elements that are not indices', () => {
    expect(check('cols.yaml', base.replace('  columns_for_singleview_pca: null', '  columns_for_singleview_pca: [-1, 1.5, 1e20, 7]'))).toContain(
      'error: data.columns_for_singleview_pca: expected a list of keypoint indices or null, got a list of 4: [0] is -1 (expected a keypoint index (integer ≥ 0)), [1] is 1.5 (expected a keypoint index (integer ≥ 0))',
    );
  });

  it('model: ~ says a mapping was expected (no io-ts type dump)', () => {
    expect(check('model.yaml', 'model: ~\n')).toEqual([`${path.join(dir, 'model.yaml')}: 1 error`, 'error: model: expected a mapping, got null']);
  });
});

describe('reserved keys in reference-vector files', () => {
  it('a case with a __proto__ key fails with a message naming the file and key', async () => {
    const { verifyFile } = await import('../../src/verify/index.js');
    const file = path.join(dir, 'proto_case.json');
    fs.writeFileSync(file, '{"case":"x","loss":"regression","params":{"__proto__":{"log_weight":1}},"inputs":{},"expected":{}}');
    const r = verifyFile(file);
    expect(r.outcome.ok).toBe(false);
    expect(!r.outcome.ok && r.outcome.message).toBe(`${file}: '__proto__' is a reserved name and cannot be used as a key`);
  });
});
