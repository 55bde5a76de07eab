import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/build.ts'],
    setupFiles: ['test/helpers/typed-array-equality.ts'],
    // the default reporter, plus skip reasons, slowest files and (REASONIR_TEST_SUMMARY=<file>) a JSON summary
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    env: {
      // one onnxruntime thread per session: two vitest workers on two cores, and ORT's spinning threads
      // oversubscribe a busy machine badly
      REASONIR_THREADS: '1',
    },
    // generous, so a machine shared by several developers (load 15-25 on 2 cores) slows the suite instead of
    // failing it; speed is measured by `npm run bench -- tests` (45 s per file), not by these limits
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
