import fc from 'fast-check';
import { beforeAll } from 'vitest';
import { initBackend } from '../src/backend/index.js';

// Property tests run from a fixed seed so CI is reproducible (fresh-clone runs hit rare tie/kink cases
// in the expr top-k and PCA fused-vs-tfjs properties; see the closing note). POSELOSS_FC_SEED=random
// explores new cases; any other number picks that seed.
const seed = process.env.POSELOSS_FC_SEED;
if (seed !== 'random') fc.configureGlobal({ seed: seed === undefined ? 20261130 : Number(seed) });

beforeAll(async () => {
  await initBackend();
});
