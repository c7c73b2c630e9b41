/** A CSV cell, quoted when it holds a comma, quote or line break. */
const cell = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** A value as pandas writes a float: shortest round-trip digits, `.0` on integers, NaN as an empty cell, ±inf. */
const num = (v: number): string => {
  if (v !== v) return '';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return v === Math.trunc(v) && Math.abs(v) < 1e21 ? `${v}.0` : `${v}`;
};

/**
 * A metric table in the reference's layout (Lightning Pose `compute_metrics_single`): one
 * header row (an empty first cell, then the keypoint names, then `set` when given), then one
 * row per frame: its index, one value per keypoint (NaN as an empty cell), its set. Yielded in
 * pieces of about `rowsPerChunk` rows, so a file of millions of frames is written without
 * ever holding its whole text (a JS string cannot exceed ~512 MB).
 */
export function* metricCsvChunks(
  index: readonly string[],
  keypoints: readonly string[],
  values: ArrayLike<number>,
  set?: readonly string[],
  rowsPerChunk = 4096,
): Generator<string> {
  const k = keypoints.length;
  yield ['', ...keypoints, ...(set ? ['set'] : [])].map(cell).join(',') + '\n';
  const row: string[] = new Array(k + 1 + (set ? 1 : 0));
  for (let r0 = 0; r0 < index.length; r0 += rowsPerChunk) {
    const r1 = Math.min(index.length, r0 + rowsPerChunk);
    const lines: string[] = new Array(r1 - r0);
    for (let r = r0; r < r1; r++) {
      row[0] = cell(index[r]);
      const o = r * k;
      for (let j = 0; j < k; j++) row[j + 1] = num(values[o + j]);
      if (set) row[k + 1] = cell(set[r]);
      lines[r - r0] = row.join(',');
    }
    yield lines.join('\n') + '\n';
  }
}

/** `metricCsvChunks` as one string (small tables). */
export function metricCsv(index: readonly string[], keypoints: readonly string[], values: ArrayLike<number>, set?: readonly string[]): string {
  return [...metricCsvChunks(index, keypoints, values, set)].join('');
}
