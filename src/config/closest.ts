/** Levenshtein distance, for "did you mean" suggestions. */
const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
};

/** The known name closest to `name`, or undefined when none is reasonably close. */
export const closest = (name: string, known: readonly string[]): string | undefined => {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 2)) ? best : undefined;
};

/** " (did you mean `x`?)" or a list of the known names when none is close. */
export const suggestion = (name: string, known: readonly string[]): string => {
  const c = closest(name, known);
  return c !== undefined ? ` (did you mean '${c}'?)` : ` (known: ${known.join(', ')})`;
};
