import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import { readHeader, type HeaderLayout } from './header.js';
import { parseNumberCell } from './numberCell.js';
import type { PoseTable } from './poseCsv.js';

/** Progress of a streamed read: bytes consumed so far out of the file's size (0 when unknown). */
export type ProgressFn = (bytesRead: number, totalBytes: number) => void;

export interface StreamOptions {
  readonly onProgress?: ProgressFn;
}

/** A Float64Array that grows by doubling; `view()` is the filled part. */
class Grow {
  private buf: Float64Array;
  length = 0;
  constructor(capacity: number) {
    this.buf = new Float64Array(Math.max(capacity, 16));
  }
  reserve(n: number): Float64Array {
    if (this.length + n > this.buf.length) {
      const next = new Float64Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    return this.buf;
  }
  view(): Float64Array {
    return this.buf.slice(0, this.length);
  }
}

/** Frame rows decoded one at a time, with the messages of `parsePoseCsv`. */
class Rows {
  readonly index: string[] = [];
  readonly set: string[] | undefined;
  private readonly xy: Grow;
  private readonly lik: Grow | null;
  constructor(
    private readonly h: HeaderLayout,
    private readonly file: string,
    capacityHint: number,
  ) {
    const k = h.keypoints.length;
    this.xy = new Grow(capacityHint * 2 * k);
    this.lik = h.hasLikelihood ? new Grow(capacityHint * k) : null;
    this.set = h.hasSetColumn ? [] : undefined;
  }

  /** Adds one frame; a message naming the file, line and column when a cell is not a number. */
  add(record: string[], line: number): string | null {
    const h = this.h;
    const k = h.keypoints.length;
    if (record.length !== h.width) return `${this.file}, line ${line}: the row has ${record.length} cells but the header has ${h.width}`;
    this.index.push(
      record
        .slice(0, h.indexColumns)
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .join('/'),
    );
    if (this.set) this.set.push(record[h.width - 1].trim());
    const xy = this.xy.reserve(2 * k);
    const o = this.xy.length;
    const lik = this.lik?.reserve(k);
    const lo = this.lik?.length ?? 0;
    const bad = (col: number, label: string): string =>
      `${this.file}, line ${line}, column ${col + 1} (${label}): "${record[col].trim()}" is not a number`;
    for (let j = 0; j < k; j++) {
      const x = parseNumberCell(record[h.xCol[j]]);
      if (x === null) return bad(h.xCol[j], `${h.keypoints[j]} x`);
      const y = parseNumberCell(record[h.yCol[j]]);
      if (y === null) return bad(h.yCol[j], `${h.keypoints[j]} y`);
      xy[o + 2 * j] = x;
      xy[o + 2 * j + 1] = y;
      if (lik) {
        const lc = h.likelihoodCol[j];
        let l = NaN;
        if (lc !== -1) {
          const v = parseNumberCell(record[lc]);
          if (v === null) return bad(lc, `${h.keypoints[j]} likelihood`);
          l = v;
        }
        lik[lo + j] = l;
      }
    }
    this.xy.length += 2 * k;
    if (this.lik) this.lik.length += k;
    return null;
  }

  table(): PoseTable {
    const h = this.h;
    const k = h.keypoints.length;
    const n = this.index.length;
    const t: PoseTable = {
      file: this.file,
      index: this.index,
      keypoints: h.keypoints,
      xy: { data: this.xy.view(), rows: n, cols: 2 * k },
      likelihood: this.lik ? { data: this.lik.view(), rows: n, cols: k } : null,
      hasSetColumn: h.hasSetColumn,
      extraCoords: h.extraCoords,
    };
    if (this.set) t.set = this.set;
    return t;
  }
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Parses a pose CSV from a byte stream (csv-parse's stream API), record by record: the same
 * `PoseTable` and the same messages as `parsePoseCsv`, without holding the text in memory.
 * Stops at the first error. `totalBytes` (for progress) is the stream's expected size, if known.
 */
export function parsePoseCsvStream(input: Readable, file: string, opts: StreamOptions & { totalBytes?: number } = {}): Promise<Either<string, PoseTable>> {
  const total = opts.totalBytes ?? 0;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Either<string, PoseTable>): void => {
      if (done) return;
      done = true;
      input.unpipe(parser);
      input.destroy();
      parser.destroy();
      resolve(r);
    };
    const parser = parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true });
    const head: CsvRecord[] = [];
    let rows: Rows | null = null;
    let bytes = 0;
    if (opts.onProgress) {
      input.on('data', (chunk: Buffer | string) => {
        bytes += chunk.length;
        opts.onProgress!(bytes, total);
      });
    }
    input.on('error', (e) => finish(either.left(`${file}: cannot read the pose file: ${e.message}`)));
    parser.on('error', (e) => finish(either.left(`${file}: not a readable CSV file: ${e.message}`)));
    parser.on('readable', () => {
      let r: CsvRecord | null;
      while (!done && (r = parser.read() as CsvRecord | null) !== null) {
        if (rows) {
          const m = rows.add(r.record, r.info.lines);
          if (m) return finish(either.left(m));
          continue;
        }
        head.push(r);
        if (head.length < 3) continue;
        const layout = readHeader(
          head.map((x) => x.record),
          head.map((x) => x.info.lines),
          file,
        );
        if (either.isLeft(layout)) return finish(layout);
        // a guess at the row count from the header line's length keeps regrowing rare
        const rowBytes = Math.max(16, head[2].record.length * 10);
        rows = new Rows(layout.right, file, total > 0 ? Math.ceil(total / rowBytes) : 1024);
      }
    });
    parser.on('end', () => {
      if (rows) return finish(either.right(rows.table()));
      finish(
        either.left(`${file}: expected three header rows (scorer, bodyparts, coords) but the file has only ${head.length} non-empty line(s)`),
      );
    });
    input.pipe(parser);
  });
}

/** Reads a pose CSV file as a stream: `parsePoseCsvStream` on the file, progress by bytes read. */
export async function readPoseCsvStream(path: string, opts: StreamOptions = {}): Promise<Either<string, PoseTable>> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    return either.left(`${path}: cannot read the pose file: ${(e as Error).message}`);
  }
  return parsePoseCsvStream(createReadStream(path), path, { ...opts, totalBytes: size });
}
