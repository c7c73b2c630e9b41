import type { Summary } from './evaluate.js';

/** The side-by-side table `poseloss demo` prints, as data (for the HTML report) and as text lines. */

export interface TableRow {
  readonly label: string;
  /** One cell per column; undefined leaves it blank. */
  readonly cells: readonly (number | undefined)[];
  readonly digits: number;
  /** How the runs' cells (the first two) compare: smaller is better, or closer to the truth cell (the last). */
  readonly compare?: 'lower' | 'truth';
}

export interface TableSection {
  readonly title: string;
  readonly rows: readonly TableRow[];
}

export interface Table {
  readonly columns: readonly string[];
  readonly sections: readonly TableSection[];
}

/** Rows of one video's summaries; `truth` fills the truth column of the temporal and PCA rows. */
export const summaryRows = (runs: readonly Summary[], truth: { temporal: number; pca: number }, threshold: number): TableRow[] => {
  const row = (label: string, get: (s: Summary) => number, digits: number, t?: number, compare: 'lower' | 'truth' = 'lower'): TableRow => ({
    label,
    cells: [...runs.map(get), t],
    digits,
    compare,
  });
  return [
    row('pixel error, mean (px)', (s) => s.meanError, 2),
    row('pixel error, median (px)', (s) => s.medianError, 2),
    row('pixel error, 95th percentile (px)', (s) => s.p95Error, 2),
    row(`frames with a keypoint > ${threshold} px off (%)`, (s) => 100 * s.framesOver, 1),
    row('  same, frames with occluder/distractor (%)', (s) => 100 * s.framesOverDisturbed, 1),
    // lower is not better here: a model that never moves scores 0; the truth is the target
    row('temporal norm, mean (px/frame)', (s) => s.meanTemporalNorm, 3, truth.temporal, 'truth'),
    row('PCA error, mean (px)', (s) => s.meanPcaError, 3, truth.pca),
  ];
};

const cell = (v: number | undefined, digits: number): string => (v === undefined ? '' : Number.isFinite(v) ? v.toFixed(digits) : String(v));

/** Index (0 or 1) of the better run in a row, if the row compares and they differ at its precision. */
export const better = (r: TableRow): number | undefined => {
  const [a, b] = r.cells.slice(0, 2).map((v) => (v === undefined || !Number.isFinite(v) ? undefined : Number(v.toFixed(r.digits))));
  if (!r.compare || a === undefined || b === undefined || a === b) return undefined;
  if (r.compare === 'lower') return a < b ? 0 : 1;
  const t = r.cells[r.cells.length - 1];
  if (t === undefined) return undefined;
  const [da, db] = [Math.abs(a - t), Math.abs(b - t)];
  return da === db ? undefined : da < db ? 0 : 1;
};

/** Fixed-width text; the better of the runs' values (first two columns) gets a '*'. */
export const formatTable = (t: Table): string[] => {
  const lw = Math.max(...t.sections.flatMap((s) => s.rows.map((r) => r.label.length + 2)), 30);
  const cw = Math.max(12, ...t.columns.map((c) => c.length + 2));
  const lines = [' '.repeat(lw) + t.columns.map((c) => c.padStart(cw)).join('')];
  for (const s of t.sections) {
    lines.push(s.title);
    for (const r of s.rows) {
      const best = better(r);
      const cells = r.cells.map((v, i) => {
        const text = cell(v, r.digits);
        const mark = i === best ? '*' : ' ';
        return (text + mark).padStart(cw);
      });
      lines.push(`  ${r.label}`.padEnd(lw) + cells.join(''));
    }
  }
  return lines;
};
