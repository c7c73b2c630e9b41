/** A small seeded PRNG (mulberry32): deterministic examples and benchmarks without a dependency. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  uniform(): number;
  normal(): number;
  int(n: number): number;
}

export const rng = (seed: number): Rng => {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** Standard normal (Box–Muller). */
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  /** Integer in [0, n). */
  const int = (n: number): number => Math.floor(next() * n);
  return { next, uniform: next, normal, int };
};
