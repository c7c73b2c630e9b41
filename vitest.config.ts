import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // vitest's report, then one plain `Tests: N passed, M failed, K skipped` line
    reporters: ['default', './tests/summaryReporter.ts'],
    setupFiles: ['tests/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // tfjs keeps one global engine per process; files run in separate forks
    pool: 'forks',
  },
});
