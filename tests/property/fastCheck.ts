/**
 * fast-check as the steps' generators see it: src/ declares the small part of fast-check's API
 * they use, structurally (src/pipeline/step.ts), so neither the library nor its types depend on
 * fast-check. At run time both sides are fast-check itself; these two casts are the bridge.
 */
import fc from 'fast-check';
import type { Arbitrary, FastCheck } from '../../src/pipeline/step.js';

export const FC = fc as unknown as FastCheck;

/** A generator's arbitrary, as fast-check's own type (FC made it). */
export const real = <T>(a: Arbitrary<T>): fc.Arbitrary<T> => a as unknown as fc.Arbitrary<T>;
