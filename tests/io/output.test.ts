import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkInputFile, checkOutputDir, discardAllStaging, FileError, Staging } from '../../src/io/output.js';
import { periodic } from '../../src/io/progress.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-output-'));
const message = (f: () => void): string => {
  try {
    f();
    return 'no error';
  } catch (e) {
    expect(e).toBeInstanceOf(FileError);
    return (e as Error).message;
  }
};

describe('output locations are checked before any work', () => {
  it('a folder on a kernel filesystem (/proc/self/x, /sys/x, /dev/x) is refused at once', () => {
    expect(message(() => checkOutputDir('/proc/self/x'))).toBe('--out /proc/self/x: is on a special filesystem (proc), not storage; give a folder on disk');
    if (fs.existsSync('/sys/kernel')) expect(message(() => checkOutputDir('/sys/kernel/x'))).toMatch(/special filesystem \(sysfs\)/);
    expect(message(() => checkOutputDir('/dev/x'))).toMatch(/special filesystem/);
  });

  it('an existing file, a file as a parent, an unwritable folder: named; a new nested folder: fine', () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'f'), '');
    expect(message(() => checkOutputDir(path.join(d, 'f')))).toBe(`--out ${path.join(d, 'f')}: exists and is not a directory`);
    expect(message(() => checkOutputDir(path.join(d, 'f', 'sub')))).toMatch(/is not a directory, so the folder cannot be created$/);
    expect(message(() => checkOutputDir(path.join(d, 'a', 'b', 'c')))).toBe('no error');
    expect(fs.existsSync(path.join(d, 'a'))).toBe(false); // checking creates nothing
    if (process.getuid?.() !== 0) {
      fs.mkdirSync(path.join(d, 'ro'), { mode: 0o500 });
      expect(message(() => checkOutputDir(path.join(d, 'ro')))).toMatch(/not writable/);
    }
  });

  it('inputs: a missing file, a folder, a pipe or device are named before reading (no blocking read)', () => {
    const d = tmp();
    expect(message(() => checkInputFile(path.join(d, 'nope.csv'), '--preds'))).toBe(`--preds ${path.join(d, 'nope.csv')}: no such file`);
    expect(message(() => checkInputFile(d, '--preds'))).toMatch(/is a folder, not a file$/);
    expect(message(() => checkInputFile('/dev/zero', '--preds'))).toMatch(/not a regular file/);
    fs.writeFileSync(path.join(d, 'big'), 'x'.repeat(100));
    expect(message(() => checkInputFile(path.join(d, 'big'), '--config', 10))).toMatch(/is 100 bytes; the limit is 10$/);
  });
});

describe('Staging: a set of outputs appears whole or not at all', () => {
  it('into a new folder: nothing exists until commit, then everything at once', () => {
    const d = tmp();
    const out = path.join(d, 'x', 'out');
    const s = new Staging(out);
    fs.writeFileSync(s.file('a.csv'), 'a');
    fs.writeFileSync(s.file('b.csv'), 'b');
    expect(fs.existsSync(out)).toBe(false);
    expect(s.commit().sort()).toEqual([path.join(out, 'a.csv'), path.join(out, 'b.csv')]);
    expect(fs.readdirSync(out).sort()).toEqual(['a.csv', 'b.csv']);
    expect(fs.readdirSync(d)).toEqual(['x']);
    // the folder has the mode a plain mkdir gives it (not mkdtemp's 0700)
    fs.mkdirSync(path.join(d, 'plain'));
    expect(fs.statSync(out).mode).toBe(fs.statSync(path.join(d, 'plain')).mode);
  });

  it('into an existing folder: old files replaced; a folder in the way of one output: an error before anything moves', () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'a.csv'), 'old a');
    fs.writeFileSync(path.join(d, 'keep.txt'), 'mine');
    fs.mkdirSync(path.join(d, 'c.csv'));
    const bad = new Staging(d);
    for (const n of ['a.csv', 'b.csv', 'c.csv']) fs.writeFileSync(bad.file(n), `new ${n}`);
    expect(message(() => bad.commit())).toMatch(/c\.csv: a folder of that name is in the way; nothing was written$/);
    expect(fs.readdirSync(d).sort()).toEqual(['a.csv', 'c.csv', 'keep.txt']);
    expect(fs.readFileSync(path.join(d, 'a.csv'), 'utf8')).toBe('old a');

    fs.rmdirSync(path.join(d, 'c.csv'));
    const good = new Staging(d);
    for (const n of ['a.csv', 'b.csv']) fs.writeFileSync(good.file(n), `new ${n}`);
    good.commit();
    expect(fs.readdirSync(d).sort()).toEqual(['a.csv', 'b.csv', 'keep.txt']);
    expect(fs.readFileSync(path.join(d, 'a.csv'), 'utf8')).toBe('new a.csv');
  });

  it('discarded (as on SIGINT/SIGTERM): the staging folder goes, nothing else changes', () => {
    const d = tmp();
    const s = new Staging(d);
    fs.writeFileSync(s.file('a.csv'), 'partial');
    expect(fs.readdirSync(d)).toHaveLength(1);
    expect(discardAllStaging()).toBe(1);
    expect(fs.readdirSync(d)).toEqual([]);
    expect(discardAllStaging()).toBe(0);
  });

  it('output names are plain file names', () => {
    const s = new Staging(tmp());
    expect(message(() => s.file('../x.csv'))).toMatch(/not a plain file name/);
    s.discard();
  });
});

describe('progress lines for logs', () => {
  it('at most one line per period, the first after one period', () => {
    let t = 0;
    const lines: string[] = [];
    const p = periodic(
      (l) => lines.push(l),
      10_000,
      () => t,
    );
    for (t = 0; t <= 35_000; t += 1000) p.tick(() => `at ${t}`);
    expect(lines).toEqual(['at 10000', 'at 20000', 'at 30000']);
  });
});
