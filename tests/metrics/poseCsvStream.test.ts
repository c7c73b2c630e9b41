import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { parsePoseCsv, readPoseCsv } from '../../src/io/index.js';
import { parsePoseCsvStream, readPoseCsvStream } from '../../src/io/poseCsvStream.js';
import { DATA, hasData, PREDS, tmpDir, warnIfNoData } from './helpers.js';

warnIfNoData('streamed vs synchronous reading of the real pose files');

/** `text` as a byte stream cut at the given offsets (chunk boundaries anywhere, even inside a number or a UTF-8 character). */
const chunked = (text: string, cuts: number[]): Readable => {
  const buf = Buffer.from(text, 'utf8');
  const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, buf.length]) {
    if (c > prev) parts.push(buf.subarray(prev, c));
    prev = c;
  }
  return Readable.from(parts);
};

/**
 * Same result as the synchronous parser: equal tables (NaN equal to NaN), or the same message.
 * A file with a CSV syntax error late and a layout error early is the exception: the stream
 * reports what it meets first, the synchronous parser the syntax error; both must fail.
 */
const sameAsSync = async (text: string, cuts: number[]): Promise<void> => {
  const sync = parsePoseCsv(text, 'gen.csv');
  const stream = await parsePoseCsvStream(chunked(text, cuts), 'gen.csv');
  if (either.isLeft(sync) && sync.left.includes('not a readable CSV file') && either.isLeft(stream) && !stream.left.includes('not a readable CSV file')) return;
  expect(stream).toEqual(sync);
};

const cellArb = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -1e4, max: 1e4, noNaN: true }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('', 'NaN', 'nan', ' 1.5 ', '.25', '1e-3') },
  { weight: 1, arbitrary: fc.constantFrom('abc', 'inf', '0x10', 'ü') },
  // quoted in the file: the fast line splitter hands the rest of the file to csv-parse
  { weight: 1, arbitrary: fc.constantFrom('1,5', 'a"b', '2\n3', '"4"') },
);

const fileArb = fc
  .record({
    names: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), { minLength: 1, maxLength: 4 }),
    coords: fc.constantFrom<string[]>(['x', 'y'], ['x', 'y', 'likelihood'], ['x', 'y', 'visible'], ['likelihood', 'x', 'y']),
    frames: fc.integer({ min: 0, max: 6 }),
    set: fc.boolean(),
    cells: fc.array(cellArb, { minLength: 100, maxLength: 100 }),
    blank: fc.integer({ min: -1, max: 8 }),
    dropHeader: fc.integer({ min: -1, max: 12 }),
    shortRow: fc.integer({ min: -1, max: 12 }),
    crlf: fc.boolean(),
    // one line ending unlike the others (index into the line breaks), or none
    oddEol: fc.integer({ min: -1, max: 12 }),
  })
  .map(({ names, coords, frames, set, cells, blank, dropHeader, shortRow, crlf, oddEol }) => {
    let i = 0;
    const next = () => cells[i++ % cells.length];
    const head = [['scorer'], ['bodyparts'], ['coords']];
    for (const n of names) for (const c of coords) head[0].push('me'), head[1].push(n), head[2].push(c);
    if (set) head.forEach((h, l) => h.push(l === 0 ? 'set' : ''));
    const rows = Array.from({ length: frames }, (_, f) => {
      const r = [`img${f}.png`, ...names.flatMap(() => coords.map(next))];
      if (set) r.push('train');
      return f === shortRow ? r.slice(0, -1) : r;
    });
    const lines = [...head, ...rows].map((r) => r.map((c) => (/[,"\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(','));
    if (dropHeader >= 0 && dropHeader < 3) lines.splice(dropHeader, 1);
    if (blank >= 0 && blank <= lines.length) lines.splice(blank, 0, '');
    const eol = crlf ? '\r\n' : '\n';
    const odd = crlf ? '\n' : '\r\n';
    return lines.reduce((text, l, i) => (i === 0 ? l : text + (i === oddEol ? odd : eol) + l), '') + (frames % 2 ? '\n' : '');
  });

describe('readPoseCsvStream: the same PoseTable and messages as readPoseCsv', () => {
  it('generated files, good and bad, cut into chunks anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(fileArb, fc.array(fc.nat(), { maxLength: 6 }), async (text, cuts) => sameAsSync(text, cuts)),
      { numRuns: 300 },
    );
  });

  it('the documented error cases', async () => {
    const cases = [
      'scorer,a,a\nbodyparts,k,k\n', // two header rows only
      'bodyparts,k,k\ncoords,x,y\n0,1,2\n', // no scorer row
      'scorer,a,a\nbodyparts,k,k\ncoords,x,y\n0,1,zz\n', // non-numeric cell
      'scorer,a,a,a\nbodyparts,k,k,t\ncoords,x,y,likelihood\n0,1,2,0.5\n', // likelihood-only keypoint
      'scorer,a,a\nbodyparts,k,k\ncoords,x,y\n0,1\n', // short row
      'scorer,a,a\nbodyparts,k,k\ncoords,x,y\n0,"1,2\n', // unterminated quote
      '',
    ];
    for (const text of cases) {
      const sync = parsePoseCsv(text, 'bad.csv');
      expect(sync._tag, text).toBe('Left');
      expect(await parsePoseCsvStream(Readable.from([text]), 'bad.csv'), text).toEqual(sync);
    }
  });

  it('a missing file', async () => {
    const missing = path.join(tmpDir('stream'), 'nope.csv');
    const r = await readPoseCsvStream(missing);
    expect(r._tag === 'Left' && r.left).toMatch(new RegExp(`^${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot read the pose file: ENOENT`));
  });

  it('reports progress in bytes up to the file size', async () => {
    const dir = tmpDir('stream');
    const file = path.join(dir, 'p.csv');
    const rows = Array.from({ length: 5000 }, (_, f) => `${f},${f}.5,${f}.25`);
    fs.writeFileSync(file, ['scorer,a,a', 'bodyparts,k,k', 'coords,x,y', ...rows].join('\n'));
    const seen: [number, number][] = [];
    const r = await readPoseCsvStream(file, { onProgress: (b, t) => seen.push([b, t]) });
    expect(r._tag).toBe('Right');
    const size = fs.statSync(file).size;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toEqual([size, size]);
    expect(seen.every(([b], i) => i === 0 || b >= seen[i - 1][0])).toBe(true);
  });

  it.skipIf(!hasData)('every real pose file in ../shared/data reads identically', async () => {
    const files = [
      path.join(DATA, 'mirror-mouse', 'CollectedData.csv'),
      ...['mirror-mouse', 'ibl-pupil', 'ibl-paw', 'fly'].flatMap((d) =>
        fs
          .readdirSync(path.join(PREDS, d))
          .filter((f) => f.endsWith('.csv'))
          .map((f) => path.join(PREDS, d, f)),
      ),
    ];
    expect(files.length).toBe(11);
    for (const f of files) expect(await readPoseCsvStream(f), f).toEqual(readPoseCsv(f));
  });
});
