/** Decimal numbers as pandas/numpy write them: 12, -3.5, .25, 1e-3, 1.5E+02. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A coordinate cell: empty (or whitespace) and `nan`/`NaN` are NaN; a decimal number parses with
 * JS Number (correctly rounded); anything else (text, `inf`, hex) is null.
 */
export function parseNumberCell(cell: string): number | null {
  const s = cell.trim();
  if (s === '' || /^nan$/i.test(s)) return NaN;
  return DECIMAL.test(s) ? Number(s) : null;
}
