import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/build.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // two cores: keep file parallelism modest so timing-free tests stay deterministic in CI
    maxWorkers: 2,
  },
});
