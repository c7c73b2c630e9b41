import { Readable } from 'node:stream';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { MISSING_TOKENS, parseNumberCell } from '../../src/io/numberCell.js';
import { parsePoseCsv } from '../../src/io/poseCsv.js';
import { parsePoseCsvStream } from '../../src/io/poseCsvStream.js';

/** Both readers (whole text and streamed) on the same text: the same result. */
const both = async (text: string) => {
  const a = parsePoseCsv(text, 'p.csv');
  const b = await parsePoseCsvStream(Readable.from([text]), 'p.csv');
  if (either.isLeft(a) || either.isLeft(b)) {
    expect(either.isLeft(b) && b.left).toBe(either.isLeft(a) && a.left);
    return either.isLeft(a) ? a.left : 'no error';
  }
  expect(Array.from(b.right.xy.data)).toEqual(Array.from(a.right.xy.data));
  return a.right;
};

const csv = (cells: string[]) => `scorer,s,s\nbodyparts,nose,nose\ncoords,x,y\n${cells.map((c, i) => `${i},${c},1`).join('\n')}\n`;

describe('pose CSV cells as pandas reads them', () => {
  it('every pandas default missing-value token (and nan in any case) is NaN', async () => {
    const tokens = [...MISSING_TOKENS, 'NAN', 'Nan', '+nan'];
    for (const t of tokens) expect(parseNumberCell(t), t).toBeNaN();
    const t = await both(csv(tokens.filter((x) => !x.includes(','))));
    if (typeof t === 'string') throw new Error(t);
    expect(
      Array.from(t.xy.data)
        .filter((_, i) => i % 2 === 0)
        .every(Number.isNaN),
    ).toBe(true);
  });

  it('infinite cells and numbers that overflow a float64 are errors naming line and column', async () => {
    expect(await both(csv(['1', 'inf']))).toBe(
      'p.csv, line 5, column 2 (nose x): "inf" is infinite; coordinates must be finite numbers (a missing value is an empty cell or nan)',
    );
    expect(await both(csv(['-Infinity']))).toMatch(/line 4, column 2 \(nose x\): "-Infinity" is infinite/);
    expect(await both(csv(['2', '3', '1e400']))).toBe('p.csv, line 6, column 2 (nose x): "1e400" is too large for a 64-bit float (it overflows to infinity)');
    expect(await both(csv(['-1e309']))).toMatch(/overflows/);
    expect(parseNumberCell('1e308')).toBe(1e308);
    expect(parseNumberCell('1e-400')).toBe(0); // underflow is a number (pandas reads it as 0.0)
  });

  it('NUL bytes and invalid UTF-8 are binary content, named with the line', async () => {
    expect(await both(csv(['1', '2\0']))).toBe('p.csv, line 5: binary content (a NUL byte or invalid UTF-8); a pose file is a CSV text file');
    expect(await both(`scorer,s,s\nbodyparts,no\0se,nose\ncoords,x,y\n0,1,1\n`)).toMatch(/^p\.csv, line 2: binary content/);
    expect(await both(csv(['1', '\uFFFD']))).toMatch(/^p\.csv, line 5: binary content/);
  });
});

describe('streamed pose CSV limits', () => {
  it('a line longer than MAX_LINE_CHARS (a file without line breaks) is an error naming the line, not a huge string', async () => {
    const { MAX_LINE_CHARS } = await import('../../src/io/poseCsvStream.js');
    const long = '1'.repeat(MAX_LINE_CHARS + 10);
    const chunks = [
      'scorer,s,s\nbodyparts,a,a\ncoords,x,y\n0,',
      ...Array.from({ length: Math.ceil(long.length / 65536) }, (_, i) => long.slice(i * 65536, (i + 1) * 65536)),
    ];
    const r = await parsePoseCsvStream(Readable.from(chunks), 'p.csv');
    expect(either.isLeft(r) && r.left).toBe('p.csv, line 4: longer than 8 million characters without a line break; is this a pose CSV?');
  });
});
