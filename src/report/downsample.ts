/** A series thinned for drawing: `x` the first frame of each bucket, `y[k]` the bucket maximum (null: no value). */
export interface Thinned {
  readonly x: number[];
  readonly y: (number | null)[][];
  /** Frames per point (1: every frame). */
  readonly bucket: number;
}

/**
 * Column-wise bucket maxima of a (rows × cols) table for plotting at most about `points`
 * points per series. The maximum keeps the spikes a reader looks for (a mean would hide
 * them); NaN values are skipped and a bucket without values is a gap (null).
 */
export function thinByMax(values: ArrayLike<number>, rows: number, cols: number, points = 2000): Thinned {
  const bucket = Math.max(1, Math.ceil(rows / points));
  const nb = Math.ceil(rows / bucket);
  const x: number[] = new Array(nb);
  const y: (number | null)[][] = Array.from({ length: cols }, () => new Array(nb).fill(null));
  for (let b = 0; b < nb; b++) {
    const r0 = b * bucket;
    const r1 = Math.min(rows, r0 + bucket);
    x[b] = r0;
    for (let k = 0; k < cols; k++) {
      let m = -Infinity;
      for (let r = r0; r < r1; r++) {
        const v = values[r * cols + k];
        if (v > m) m = v; // NaN compares false
      }
      y[k][b] = m === -Infinity ? null : m;
    }
  }
  return { x, y, bucket };
}
