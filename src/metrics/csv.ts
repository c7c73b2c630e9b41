/** A CSV cell, quoted when it holds a comma, quote or line break. */
const cell = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** A value as pandas writes a float: shortest round-trip digits, `.0` on integers, NaN as an empty cell. */
const num = (v: number): string => {
  if (v !== v) return '';
  return v === Math.trunc(v) && Math.abs(v) < 1e21 ? `${v}.0` : `${v}`;
};

/**
 * A metric table in the reference's layout (Lightning Pose `compute_metrics_single`): one
 * header row (an empty first cell, then the keypoint names, then `set` when given), then one
 * row per frame: its index, one value per keypoint (NaN as an empty cell), its set.
 */
export function metricCsv(index: readonly string[], keypoints: readonly string[], values: ArrayLike<number>, set?: readonly string[]): string {
  const k = keypoints.length;
  const lines: string[] = new Array(index.length + 1);
  lines[0] = ['', ...keypoints, ...(set ? ['set'] : [])].map(cell).join(',');
  const row: string[] = new Array(k + 1 + (set ? 1 : 0));
  for (let r = 0; r < index.length; r++) {
    row[0] = cell(index[r]);
    const o = r * k;
    for (let j = 0; j < k; j++) row[j + 1] = num(values[o + j]);
    if (set) row[k + 1] = cell(set[r]);
    lines[r + 1] = row.join(',');
  }
  return lines.join('\n') + '\n';
}
