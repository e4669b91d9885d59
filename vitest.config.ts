import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: run files in two forks so wasm-heavy tests do not starve each other.
    pool: 'forks',
    maxWorkers: 2,
  },
});
