import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';
import type { ComponentsToKeep } from './types.js';

/**
 * How many of the fitted components (in descending-variance order) to keep (spec §11
 * "Choosing n", singleview rules; a multiview PCA keeps `{ kind: 'count', n: 3 }`).
 * - count n: n itself, an integer in [1, number of components] (keeping none would make every
 *   reprojection the mean: a mistake, not a setting);
 * - fraction f ∈ (0, 1]: f = 1 keeps all, otherwise 1 + the first index whose cumulative
 *   ratio is ≥ f (all components if rounding keeps the cumulative sum below f);
 * - all: every component.
 */
export function chooseComponentCount(explainedVarianceRatio: Float64Array, c: ComponentsToKeep): Either<string, number> {
  const total = explainedVarianceRatio.length;
  switch (c.kind) {
    case 'all':
      return either.right(total);
    case 'count':
      if (!Number.isInteger(c.n) || c.n < 1 || c.n > total) {
        return either.left(
          `components_to_keep = ${c.n} is outside [1, ${total}]: the PCA has ${total} dimension${total === 1 ? '' : 's'} (one per formatted column); ` +
            `give a count from 1 to ${total}, or a variance fraction in (0, 1]`,
        );
      }
      return either.right(c.n);
    case 'fraction': {
      const f = c.f;
      if (!(f > 0 && f <= 1)) {
        return either.left(`components_to_keep = ${f} as a variance fraction must be in (0, 1]`);
      }
      if (f === 1) return either.right(total);
      let cum = 0;
      for (let i = 0; i < total; i++) {
        const r = explainedVarianceRatio[i];
        if (!Number.isFinite(r)) {
          return either.left(
            'the explained-variance ratios are not finite (the PCA fit data has no variance): ' +
              'give components_to_keep as a number of components instead of a fraction',
          );
        }
        cum += r;
        if (cum >= f) return either.right(i + 1);
      }
      return either.right(total);
    }
    default: {
      const never: never = c;
      return either.left(`unknown components_to_keep ${JSON.stringify(never)}`);
    }
  }
}
