import * as t from 'io-ts';
import type { ComponentsToKeep } from './types.js';

const isIndex = (u: unknown): u is number => Number.isInteger(u) && (u as number) >= 0;

/** A list of keypoint indices. */
export const IndexList = t.array(
  new t.Type<number, number, unknown>('a keypoint index (integer ≥ 0)', isIndex, (u, c) => (isIndex(u) ? t.success(u) : t.failure(u, c)), t.identity),
  'a list of keypoint indices',
);

/** mirrored_column_matches: one list per view, or (true multiview) one flat list expanded over the views. */
export const MatchesCodec = t.union([t.array(IndexList), IndexList], 'a list of keypoint-index lists (one per view) or one flat list');

/**
 * components_to_keep: an integer ≥ 1 keeps that many (at most the number of PCA dimensions, checked at the fit); a number in (0, 1) the smallest count
 * reaching that fraction of variance; `1.0` written as a float (or `{ fraction: 1 }`) and
 * `null` keep all. Already-decoded `{ kind: ... }` values pass through.
 */
export const ComponentsToKeepCodec = new t.Type<ComponentsToKeep, unknown, unknown>(
  'an integer ≥ 1, a fraction in (0, 1], or null (keep all)',
  (u): u is ComponentsToKeep => typeof u === 'object' && u !== null && 'kind' in u,
  (u, c) => {
    if (u === null) return t.success({ kind: 'all' });
    if (typeof u === 'object' && 'kind' in u) return t.success(u as ComponentsToKeep);
    if (typeof u === 'object' && 'fraction' in u) {
      const f = (u as { fraction: unknown }).fraction;
      return typeof f === 'number' && f > 0 && f <= 1
        ? t.success(f === 1 ? { kind: 'all' } : { kind: 'fraction', f })
        : t.failure(u, c, `components_to_keep fraction must be in (0, 1], got ${String(f)}`);
    }
    if (typeof u !== 'number' || !Number.isFinite(u)) return t.failure(u, c);
    if (Number.isInteger(u) && u >= 1) return t.success({ kind: 'count', n: u });
    if (u > 0 && u < 1) return t.success({ kind: 'fraction', f: u });
    return t.failure(u, c, `components_to_keep must be an integer ≥ 1 (a count, at most the number of PCA dimensions) or a fraction in (0, 1], got ${u}`);
  },
  t.identity,
);
